import Foundation

/// Draws a `CallTimeline` as one self-contained SVG: stacked panels on a shared time axis
/// (send rate against the link capacity, frame rate with the freezes, frame size, delay,
/// loss), each with its axis, unit and legend, so a run can be judged at a glance.
struct CallChart {
    let timeline: CallTimeline

    static let width = 1080.0
    static let left = 64.0
    static let legendWidth = 170.0
    static let plotWidth = width - left - legendWidth - 16
    static let panelHeight = 140.0
    static let stripHeight = 6.0
    static let panelGap = 46.0
    static let top = 96.0

    enum Color {
        static let capacity = "#b8b8b8"
        static let media = "#4c78a8"
        static let rtx = "#f58518"
        static let padding = "#b279a2"
        static let audio = "#54a24b"
        static let estimate = "#d62728"
        static let target = "#8c1c13"
        static let delivered = "#222222"
        static let freeze = "#d62728"
        static let decoded = "#4c78a8"
        static let sent = "#9a9a9a"
        static let random = "#f58518"
        static let burst = "#b279a2"
        static let limitedByBandwidth = "#f2a93b"
        static let limitedByCPU = "#7b4fa3"
        static let queue = "#d62728"
        static let rtt = "#222222"
    }

    /// One series drawn in a panel.
    enum Mark {
        /// Filled band between `lower` and `upper` (stacked areas).
        case band(label: String, color: String, lower: [Double], upper: [Double])
        case line(label: String, color: String, values: [Double?], width: Double, dash: String?)
        /// A line on times of its own (the link's 100 ms bins in a panel of 250 ms samples).
        case timedLine(label: String, color: String, times: [Double], values: [Double?], width: Double, dash: String?)
        /// A step line (value holds until the next point): the capacity.
        case steps(label: String, color: String, points: [(t: Double, v: Double?)], width: Double)
        /// Bars of `width` seconds stacked from zero, one stack per time.
        case bars(label: String, color: String, times: [Double], lower: [Double], upper: [Double], width: Double)
        /// A thin strip along the bottom of the plot where a condition holds (one `width`
        /// seconds wide mark per time): what limits the quality.
        case strip(label: String, color: String, times: [Double], width: Double)
    }

    struct Panel {
        var title: String
        var unit: String
        var times: [Double]
        var marks: [Mark]
        var yMax: Double
        var notes: [(t: Double, text: String)] = []
    }

    var duration: Double {
        max(timeline.summary.durationSeconds, timeline.samples.last?.t ?? 0, 1)
    }

    func svg() -> String {
        let panels = makePanels()
        let height = Self.top + Double(panels.count) * (Self.panelHeight + Self.panelGap) + 10
        var s = SVGWriter()
        s.raw(##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(Self.width)" height="\##(height)" viewBox="0 0 \##(Self.width) \##(height)" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">"##)
        s.raw(##"<rect width="100%" height="100%" fill="white"/>"##)
        let title = timeline.title.count > 110 ? String(timeline.title.prefix(108)) + "…" : timeline.title
        s.text(Self.left, 24, title, size: 15, weight: "bold")
        s.text(Self.left, 44, summaryLine(), size: 12, color: "#333")
        s.text(Self.left, 60, detailLine(), size: 12, color: "#333")
        for (i, panel) in panels.enumerated() {
            draw(panel, at: Self.top + Double(i) * (Self.panelHeight + Self.panelGap), into: &s, last: i == panels.count - 1)
        }
        s.raw("</svg>")
        return s.out
    }

    private func summaryLine() -> String {
        let m = timeline.summary
        var parts = ["\(m.framesDecoded) of \(m.framesSent) frames decoded (\(fmt(m.decodedPercent))%)",
                     "\(m.freezeCount) freeze\(m.freezeCount == 1 ? "" : "s")" + (m.freezeCount > 0 ? ", longest \(fmt(m.longestFreezeMs)) ms" : ""),
                     "video \(fmt(m.meanVideoKbps)) kbit/s mean"]
        if let c = m.meanCapacityKbps { parts.append("capacity \(fmt(c)) kbit/s mean") }
        return parts.joined(separator: " · ")
    }

    private func detailLine() -> String {
        let m = timeline.summary
        var parts: [String] = []
        if let d = m.linkDropPercent { parts.append("link drops \(fmt(d))% (\(m.linkDroppedQueue ?? 0) at the queue)") }
        if let q = m.queueingDelayP95Ms { parts.append("queueing delay p95 \(fmt(q)) ms, max \(fmt(m.queueingDelayMaxMs ?? 0)) ms") }
        parts.append("\(fmt(m.durationSeconds)) s")
        return parts.joined(separator: " · ")
    }

    // MARK: Panels

    func makePanels() -> [Panel] {
        let samples = timeline.samples
        let t = samples.map(\.t)
        var panels: [Panel] = []

        // Send rate, stacked, with the capacity behind and the estimate on top.
        let media = samples.map(\.videoMediaKbps)
        let rtx = zip(media, samples).map { $0 + $1.videoRtxKbps }
        let padding = zip(rtx, samples).map { $0 + ($1.videoPaddingKbps ?? 0) }
        let audio = zip(padding, samples).map { $0 + $1.audioKbps }
        var rateMarks: [Mark] = []
        let capacityPoints = timeline.capacity.map { (t: $0.t, v: $0.kbps) }
        if capacityPoints.contains(where: { $0.v != nil }) {
            rateMarks.append(.steps(label: "link capacity", color: Color.capacity, points: capacityPoints, width: 5))
        }
        rateMarks += [.band(label: "video media", color: Color.media, lower: t.map { _ in 0 }, upper: media),
                      .band(label: "video RTX", color: Color.rtx, lower: media, upper: rtx)]
        if samples.contains(where: { $0.videoPaddingKbps != nil }) {
            rateMarks.append(.band(label: "padding", color: Color.padding, lower: rtx, upper: padding))
        }
        rateMarks.append(.band(label: "audio", color: Color.audio, lower: padding, upper: audio))
        var rateMax = (audio.max() ?? 0)
        rateMax = max(rateMax, capacityPoints.compactMap(\.v).max() ?? 0)
        if let forward = timeline.link?.directions.first {
            let interval = timeline.link?.intervalSeconds ?? 0.1
            let delivered = smoothed(forward.intervals.map { Double($0.deliveredBytes) * 8 / interval / 1000 }, over: 3)
            rateMarks.append(.timedLine(label: "delivered by link", color: Color.delivered, times: forward.intervals.map { $0.t + interval / 2 },
                                        values: delivered, width: 1, dash: "2,2"))
            rateMax = max(rateMax, delivered.compactMap { $0 }.max() ?? 0)
        }
        if samples.contains(where: { $0.availableOutgoingBitrateKbps != nil }) {
            let v = samples.map(\.availableOutgoingBitrateKbps)
            rateMarks.append(.line(label: "estimate (available)", color: Color.estimate, values: v, width: 2, dash: nil))
            rateMax = max(rateMax, v.compactMap { $0 }.max() ?? 0)
        }
        if samples.contains(where: { $0.targetBitrateKbps != nil }) {
            let v = samples.map(\.targetBitrateKbps)
            rateMarks.append(.line(label: "target bitrate", color: Color.target, values: v, width: 1.5, dash: "6,3"))
            rateMax = max(rateMax, v.compactMap { $0 }.max() ?? 0)
        }
        var ratePanel = Panel(title: "Send rate", unit: "kbit/s", times: t, marks: rateMarks, yMax: rateMax)
        for step in timeline.capacity.dropFirst() {
            ratePanel.notes.append((step.t, step.kbps.map { "→ \(fmt($0)) kbit/s" } ?? "→ unlimited"))
        }
        panels.append(ratePanel)

        // Frame rate, with the freezes.
        let sentFps = samples.map { Optional($0.framesSentPerSecond) }
        let decodedFps = samples.map { Optional($0.framesDecodedPerSecond) }
        // The axis follows what was sent: the catch-up burst after a freeze (120 "fps" for a
        // quarter second) is clipped at the top rather than squashing the rest.
        let sentMax = sentFps.compactMap { $0 }.max() ?? 0
        panels.append(Panel(title: "Frame rate", unit: "fps", times: t, marks: [
            .line(label: "sent", color: Color.sent, values: sentFps, width: 1.5, dash: "4,2"),
            .line(label: "decoded", color: Color.decoded, values: decodedFps, width: 2, dash: nil),
        ], yMax: max(min(decodedFps.compactMap { $0 }.max() ?? 0, sentMax * 1.5), sentMax, 5)))

        // Frame size, with the resolution where it changes.
        let frameKB = samples.map { $0.meanFrameBytes.map { $0 / 1000 } }
        let sampleWidth = samples.count > 1 ? (samples[samples.count - 1].t - samples[0].t) / Double(samples.count - 1) : 0.25
        var sizeMarks: [Mark] = [.line(label: "mean frame", color: Color.media, values: frameKB, width: 2, dash: nil)]
        for (reason, color) in [("bandwidth", Color.limitedByBandwidth), ("cpu", Color.limitedByCPU)] {
            let times = samples.filter { $0.qualityLimitationReason == reason }.map(\.t)
            if !times.isEmpty { sizeMarks.append(.strip(label: "limited: \(reason)", color: color, times: times, width: sampleWidth)) }
        }
        var sizePanel = Panel(title: "Encoded frame size", unit: "kB", times: t, marks: sizeMarks,
                              yMax: max(frameKB.compactMap { $0 }.max() ?? 0, 1))
        var resolution = ""
        for s in samples {
            guard let w = s.frameWidth, let h = s.frameHeight, w > 0 else { continue }
            let r = "\(w)×\(h)"
            if r != resolution { sizePanel.notes.append((s.t, r)); resolution = r }
        }
        panels.append(sizePanel)

        // Delay: the link's queue and the round trip the sender measured.
        var delayMarks: [Mark] = []
        var delayMax = 10.0
        if let forward = timeline.link?.directions.first {
            let interval = timeline.link?.intervalSeconds ?? 0.1
            let lt = forward.intervals.map { $0.t + interval / 2 }
            let p50 = forward.intervals.map(\.queueingDelayP50Ms)
            let maxDelay = forward.intervals.map(\.queueingDelayMaxMs)
            delayMarks.append(.line(label: "queueing max", color: "#9ecae9", values: maxDelay, width: 1, dash: nil))
            delayMarks.append(.line(label: "queueing median", color: Color.media, values: p50, width: 2, dash: nil))
            delayMax = max(delayMax, maxDelay.compactMap { $0 }.max() ?? 0)
            var panel = Panel(title: "Delay (caller → callee queue, 100 ms bins)", unit: "ms", times: lt, marks: delayMarks, yMax: delayMax)
            let rtt = samples.map(\.roundTripTimeMs)
            if rtt.contains(where: { $0 != nil }) {
                panel.marks.append(.line(label: "RTT (RTCP)", color: Color.rtt, values: resample(rtt, from: t, to: lt), width: 1.5, dash: "5,3"))
                panel.yMax = max(panel.yMax, rtt.compactMap { $0 }.max() ?? 0)
            }
            panels.append(panel)
        } else {
            let rtt = samples.map(\.roundTripTimeMs)
            panels.append(Panel(title: "Delay", unit: "ms", times: t, marks: [
                .line(label: "RTT (RTCP)", color: Color.rtt, values: rtt, width: 1.5, dash: nil),
            ], yMax: max(rtt.compactMap { $0 }.max() ?? 0, 10)))
        }

        // Loss: what the link dropped, by reason, and what the receiver counted lost.
        var lossMarks: [Mark] = []
        var lossMax = 1.0
        var lossTimes = t
        if let forward = timeline.link?.directions.first {
            let interval = timeline.link?.intervalSeconds ?? 0.1
            // Per second, so a bar means something when few packets pass in 100 ms.
            let perSecond = max(1, Int((1 / interval).rounded()))
            var times: [Double] = [], random: [Double] = [], burst: [Double] = [], queue: [Double] = []
            for start in stride(from: 0, to: forward.intervals.count, by: perSecond) {
                let chunk = forward.intervals[start..<min(start + perSecond, forward.intervals.count)]
                let offered = Double(chunk.map(\.offeredPackets).reduce(0, +))
                // A last, partial second of a few packets would show as a tall bar.
                guard offered >= 20 else { continue }
                times.append(chunk.first!.t + Double(chunk.count) * interval / 2)
                random.append(Double(chunk.map(\.droppedRandom).reduce(0, +)) / offered * 100)
                burst.append(Double(chunk.map(\.droppedBurst).reduce(0, +)) / offered * 100)
                queue.append(Double(chunk.map(\.droppedQueue).reduce(0, +)) / offered * 100)
            }
            let b1 = random, b2 = zip(b1, burst).map(+), b3 = zip(b2, queue).map(+)
            let w = Double(perSecond) * interval * 0.8
            lossMarks += [.bars(label: "link: random", color: Color.random, times: times, lower: times.map { _ in 0 }, upper: b1, width: w),
                          .bars(label: "link: burst", color: Color.burst, times: times, lower: b1, upper: b2, width: w),
                          .bars(label: "link: queue full", color: Color.queue, times: times, lower: b2, upper: b3, width: w)]
            lossMax = max(lossMax, b3.max() ?? 0)
            lossTimes = times
        }
        let received = samples.map(\.receiverLossPercent)
        lossMarks.append(.line(label: "receiver lost (RTP)", color: Color.rtt, values: resample(received, from: t, to: lossTimes), width: 1.5, dash: nil))
        lossMax = max(lossMax, received.compactMap { $0 }.max() ?? 0)
        panels.append(Panel(title: "Loss (caller → callee, per second)", unit: "%", times: lossTimes, marks: lossMarks, yMax: lossMax))
        return panels
    }

    /// The values of series `values` (at `from`) nearest each time of `to`.
    private func resample(_ values: [Double?], from: [Double], to: [Double]) -> [Double?] {
        guard !from.isEmpty else { return to.map { _ in nil } }
        var j = 0
        return to.map { time in
            while j + 1 < from.count && abs(from[j + 1] - time) <= abs(from[j] - time) { j += 1 }
            return abs(from[j] - time) < 0.6 ? values[j] : nil
        }
    }

    /// A centred moving mean over `n` points.
    private func smoothed(_ v: [Double], over n: Int) -> [Double?] {
        v.indices.map { i in
            let lo = max(0, i - n / 2), hi = min(v.count, i + n / 2 + 1)
            return v[lo..<hi].reduce(0, +) / Double(hi - lo)
        }
    }

    // MARK: Drawing

    private func draw(_ p: Panel, at y0: Double, into s: inout SVGWriter, last: Bool) {
        let h = Self.panelHeight, w = Self.plotWidth, x0 = Self.left
        let (yMax, yTicks) = Self.niceAxis(p.yMax)
        let (_, tTicks) = Self.niceAxis(duration, target: 10)
        func x(_ t: Double) -> Double { x0 + min(max(t / duration, 0), 1) * w }
        func y(_ v: Double) -> Double { y0 + h - min(max(v / yMax, 0), 1.04) * h }

        s.text(x0, y0 - 8, p.title, size: 13, weight: "bold")
        s.text(x0 - 8, y0 - 8, p.unit, size: 11, color: "#555", anchor: "end")
        s.raw(##"<rect x="\##(r(x0))" y="\##(r(y0))" width="\##(r(w))" height="\##(r(h))" fill="#fafafa" stroke="#ccc"/>"##)
        for tick in yTicks {
            s.raw(##"<line x1="\##(r(x0))" x2="\##(r(x0 + w))" y1="\##(r(y(tick)))" y2="\##(r(y(tick)))" stroke="#e6e6e6"/>"##)
            s.text(x0 - 6, y(tick) + 4, fmt(tick), size: 11, color: "#444", anchor: "end")
        }
        for tick in tTicks where tick <= duration {
            s.raw(##"<line x1="\##(r(x(tick)))" x2="\##(r(x(tick)))" y1="\##(r(y0))" y2="\##(r(y0 + h))" stroke="#ececec"/>"##)
            s.text(x(tick), y0 + h + 14, fmt(tick), size: 11, color: "#444", anchor: "middle")
        }
        if last { s.text(x0 + w, y0 + h + 30, "time (s)", size: 11, color: "#444", anchor: "end") }
        // The freezes, behind everything.
        for f in timeline.freezes {
            let a = x(f.t), b = max(x(f.t + f.durationMs / 1000), a + 2)
            s.raw(##"<rect x="\##(r(a))" y="\##(r(y0))" width="\##(r(b - a))" height="\##(r(h))" fill="\##(Color.freeze)" fill-opacity="0.13"/>"##)
        }
        // Changes of the link conditions.
        for step in timeline.capacity.dropFirst() {
            s.raw(##"<line x1="\##(r(x(step.t)))" x2="\##(r(x(step.t)))" y1="\##(r(y0))" y2="\##(r(y0 + h))" stroke="#777" stroke-dasharray="3,3"/>"##)
        }
        s.raw(##"<g clip-path="none">"##)
        for mark in p.marks {
            switch mark {
            case .band(_, let color, let lower, let upper):
                guard !p.times.isEmpty else { continue }
                var d = ""
                for (i, t) in p.times.enumerated() { d += (i == 0 ? "M" : "L") + "\(r(x(t))),\(r(y(upper[i]))) " }
                for (i, t) in p.times.enumerated().reversed() { d += "L\(r(x(t))),\(r(y(lower[i]))) " }
                s.raw(##"<path d="\##(d)Z" fill="\##(color)" fill-opacity="0.85" stroke="none"/>"##)
            case .line(_, let color, let values, let width, let dash), .timedLine(_, let color, _, let values, let width, let dash):
                var d = "", pen = false
                var times = p.times
                if case .timedLine(_, _, let own, _, _, _) = mark { times = own }
                for (i, t) in times.enumerated() where i < values.count {
                    guard let v = values[i] else { pen = false; continue }
                    d += (pen ? "L" : "M") + "\(r(x(t))),\(r(y(v))) "
                    pen = true
                }
                guard !d.isEmpty else { continue }
                let dashAttribute = dash.map { ##" stroke-dasharray="\##($0)""## } ?? ""
                s.raw(##"<path d="\##(d)" fill="none" stroke="\##(color)" stroke-width="\##(width)" stroke-linejoin="round"\##(dashAttribute)/>"##)
            case .steps(_, let color, let points, let width):
                var d = ""
                for (i, point) in points.enumerated() {
                    let end = i + 1 < points.count ? points[i + 1].t : duration
                    guard let v = point.v else { continue }
                    d += "M\(r(x(point.t))),\(r(y(v))) L\(r(x(end))),\(r(y(v))) "
                    if i + 1 < points.count, let next = points[i + 1].v { d += "L\(r(x(end))),\(r(y(next))) " }
                }
                s.raw(##"<path d="\##(d)" fill="none" stroke="\##(color)" stroke-width="\##(width)" stroke-linejoin="miter"/>"##)
            case .bars(_, let color, let times, let lower, let upper, let width):
                for (i, t) in times.enumerated() where upper[i] > lower[i] {
                    let a = x(t - width / 2), b = x(t + width / 2)
                    s.raw(##"<rect x="\##(r(a))" y="\##(r(y(upper[i])))" width="\##(r(max(b - a, 1)))" height="\##(r(max(y(lower[i]) - y(upper[i]), 0.5)))" fill="\##(color)"/>"##)
                }
            case .strip(_, let color, let times, let width):
                for t in times {
                    let a = x(t - width), b = x(t)
                    s.raw(##"<rect x="\##(r(a))" y="\##(r(y0 + h - Self.stripHeight))" width="\##(r(max(b - a, 1)))" height="\##(r(Self.stripHeight))" fill="\##(color)" fill-opacity="0.8"/>"##)
                }
            }
        }
        s.raw("</g>")
        // Notes in up to three rows, each in the first row where it does not run into the
        // previous one (resolution changes come in quick succession on a step down).
        var rowEnds = [-Double.infinity, -Double.infinity, -Double.infinity]
        for note in p.notes {
            let start = x(note.t) + 3, end = start + Double(note.text.count) * 5.6 + 6
            let row = rowEnds.firstIndex { $0 <= start } ?? rowEnds.indices.min { rowEnds[$0] < rowEnds[$1] } ?? 0
            rowEnds[row] = end
            s.text(start, y0 + 12 + Double(row) * 12, note.text, size: 10, color: "#333")
        }
        // Legend, right of the plot.
        var ly = y0 + 10
        let lx = x0 + w + 14
        var entries: [(String, String, Bool)] = p.marks.map { mark in
            switch mark {
            case .band(let l, let c, _, _), .bars(let l, let c, _, _, _, _), .strip(let l, let c, _, _): (l, c, true)
            case .line(let l, let c, _, _, _), .timedLine(let l, let c, _, _, _, _), .steps(let l, let c, _, _): (l, c, false)
            }
        }
        if !timeline.freezes.isEmpty && p.unit == "fps" { entries.append(("freeze", Color.freeze, true)) }
        for (label, color, filled) in entries {
            if filled {
                let opacity = label == "freeze" ? "0.25" : "0.85"
                s.raw(##"<rect x="\##(r(lx))" y="\##(r(ly - 8))" width="14" height="10" fill="\##(color)" fill-opacity="\##(opacity)"/>"##)
            } else {
                s.raw(##"<line x1="\##(r(lx))" x2="\##(r(lx + 14))" y1="\##(r(ly - 3))" y2="\##(r(ly - 3))" stroke="\##(color)" stroke-width="3"/>"##)
            }
            s.text(lx + 20, ly, label, size: 11, color: "#222")
            ly += 16
        }
    }

    /// An axis maximum and ticks at 1, 2 or 5 × 10^k, about `target` of them.
    static func niceAxis(_ maximum: Double, target: Int = 4) -> (Double, [Double]) {
        let m = maximum > 0 && maximum.isFinite ? maximum * 1.08 : 1
        let raw = m / Double(target)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        let top = ceil(m / step) * step
        return (top, stride(from: 0, through: top + step / 2, by: step).map { $0 })
    }
}

/// Rounds coordinates to one decimal (smaller files, same picture).
private func r(_ v: Double) -> String { String(format: "%.1f", v) }

/// A number as a person writes it: no trailing ".0", at most one decimal over 10.
func fmt(_ v: Double) -> String {
    if v == v.rounded() { return String(Int(v)) }
    return abs(v) >= 10 ? String(format: "%.1f", v) : String(format: "%.2f", v).replacingOccurrences(of: #"0$"#, with: "", options: .regularExpression)
}

/// Appends SVG text, escaping what needs it.
struct SVGWriter {
    var out = ""

    mutating func raw(_ text: String) {
        out += text
        out += "\n"
    }

    mutating func text(_ x: Double, _ y: Double, _ text: String, size: Double, weight: String = "normal",
                       color: String = "#111", anchor: String = "start") {
        let escaped = text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        raw(##"<text x="\##(r(x))" y="\##(r(y))" font-size="\##(size)" font-weight="\##(weight)" fill="\##(color)" text-anchor="\##(anchor)">\##(escaped)</text>"##)
    }
}
