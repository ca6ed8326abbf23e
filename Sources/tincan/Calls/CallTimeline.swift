import Foundation
import LinkEmulator
import PeerConnection

/// A call's figures over time, for `--timeline-json` and `--chart`: what the link allowed,
/// what the sender estimated and sent (media, RTX, padding), what came out (frame rate, frame
/// size, freezes) and what the link did (queueing delay, drops).
struct CallTimeline: Codable, Sendable {
    struct Sample: Codable, Sendable {
        /// Seconds since the start of the call (the link's time zero).
        var t: Double
        /// The emulated link's rate each way; nil when unlimited.
        var capacityKbps: Double?
        /// The sender's estimate: candidate-pair `availableOutgoingBitrate`, outbound-rtp
        /// `targetBitrate` (null while getStats has no such member).
        var availableOutgoingBitrateKbps: Double?
        var targetBitrateKbps: Double?
        /// Video sent since the previous sample: RTP headers + payload, less retransmissions
        /// and padding; RTX is `retransmittedBytesSent`; padding is `paddingBytesSent` where
        /// getStats has it (not a webrtc-stats member yet).
        var videoMediaKbps: Double
        var videoRtxKbps: Double
        var videoPaddingKbps: Double?
        var audioKbps: Double
        var framesSentPerSecond: Double
        var framesDecodedPerSecond: Double
        /// Mean encoded frame size since the previous sample (bytes).
        var meanFrameBytes: Double?
        /// Mean quantizer of those frames (qpSum / frames; libvpx's 0-127 q index): near its
        /// floor the encoder has more bits than the picture needs and sends under its target.
        var meanQP: Double?
        var frameWidth: Int?
        var frameHeight: Int?
        /// outbound-rtp `qualityLimitationReason` of the video (webrtc-stats): "none",
        /// "bandwidth", "cpu"; why the sender sends less than the estimate would carry.
        var qualityLimitationReason: String?
        var roundTripTimeMs: Double?
        /// Packets the receiver counted lost since the previous sample, percent.
        var receiverLossPercent: Double?
        /// What bounds the estimate now (delay, loss, remb, configuration, probing): which
        /// part of congestion control to look at when the rate is low.
        var bandwidthLimitedBy: String?
        /// The estimator's parts (transport stats): delay-based and loss-based estimates, the
        /// acknowledged rate, the detector's trend against its threshold.
        var delayBasedKbps: Double?
        var lossBasedKbps: Double?
        var acknowledgedKbps: Double?
        var delayState: String?
        var delayTrend: Double?
        var delayThreshold: Double?
    }

    struct Freeze: Codable, Sendable {
        var t: Double
        var durationMs: Double
    }

    struct CapacityStep: Codable, Sendable {
        var t: Double
        var kbps: Double?
        var link: String
    }

    struct Summary: Codable, Sendable {
        var durationSeconds: Double
        var framesSent: Int
        var framesDecoded: Int
        var decodedPercent: Double
        var freezeCount: Int
        var longestFreezeMs: Double
        var totalFreezeMs: Double
        var meanVideoKbps: Double
        var meanCapacityKbps: Double?
        /// Of the direction carrying the media (caller → callee).
        var linkDropPercent: Double?
        var linkDroppedQueue: Int?
        var queueingDelayP95Ms: Double?
        var queueingDelayMaxMs: Double?
    }

    var title: String
    var capacity: [CapacityStep]
    var samples: [Sample]
    var freezes: [Freeze]
    var link: LinkRelayReport?
    var summary: Summary
}

/// Samples both peers' getStats every 250 ms or so into a `CallTimeline`.
struct CallTimelineRecorder {
    let origin: UInt64
    let plan: LinkScenarioFile?
    private(set) var samples: [CallTimeline.Sample] = []
    private var previous: (at: UInt64, totals: Totals)?

    /// The counters a sample differences.
    struct Totals {
        var videoBytes = 0.0, rtxBytes = 0.0, paddingBytes: Double?, audioBytes = 0.0
        var framesSent = 0.0, framesDecoded = 0.0
        var payloadBytes = 0.0
        var qpSum = 0.0
        var packetsReceived = 0.0, packetsLost = 0.0
    }

    init(origin: UInt64, plan: LinkScenarioFile?) {
        self.origin = origin
        self.plan = plan
    }

    static func number(_ e: RTCStatsReport.Entry?, _ key: String) -> Double? {
        if case .number(let v)? = e?[key] { return v }
        return nil
    }

    /// The link rate in force `t` seconds in (kbit/s), nil when unlimited or no link.
    func capacity(at t: Double) -> Double? {
        guard let plan else { return nil }
        let step = plan.steps.last { $0.at <= t } ?? plan.steps.first
        return step?.spec.conditions.bandwidth.map { Double($0) / 1000 }
    }

    mutating func sample(sender: RTCStatsReport, receiver: RTCStatsReport, decodedFrames: Int, at now: UInt64) {
        let n = Self.number
        var totals = Totals()
        var video: RTCStatsReport.Entry?
        for e in sender.entries where e.type == "outbound-rtp" {
            let bytes = (n(e, "bytesSent") ?? 0) + (n(e, "headerBytesSent") ?? 0)
            if e["kind"] == .string("video") {
                video = e
                totals.videoBytes += bytes
                totals.rtxBytes += n(e, "retransmittedBytesSent") ?? 0
                if let p = n(e, "paddingBytesSent") { totals.paddingBytes = (totals.paddingBytes ?? 0) + p }
                totals.framesSent += n(e, "framesSent") ?? 0
                totals.payloadBytes += (n(e, "bytesSent") ?? 0) - (n(e, "retransmittedBytesSent") ?? 0)
                totals.qpSum += n(e, "qpSum") ?? 0
            } else {
                totals.audioBytes += bytes
            }
        }
        totals.framesDecoded = Double(decodedFrames)
        let inbound = receiver.first(type: "inbound-rtp", kind: "video")
        totals.packetsReceived = n(inbound, "packetsReceived") ?? 0
        totals.packetsLost = n(inbound, "packetsLost") ?? 0
        defer { previous = (now, totals) }
        guard let previous, now > previous.at else { return }
        let seconds = Double(now - previous.at) / 1e9
        let p = previous.totals
        func kbps(_ bytes: Double) -> Double { (max(bytes, 0) * 8 / seconds / 1000 * 10).rounded() / 10 }
        let padding = totals.paddingBytes.map { $0 - (p.paddingBytes ?? 0) }
        let rtx = totals.rtxBytes - p.rtxBytes
        let t = Double(now - origin) / 1e9
        let pair = sender.entries.first { $0.type == "candidate-pair" && $0["availableOutgoingBitrate"] != nil }
        let transport = sender.first(type: "transport")
        let frames = totals.framesSent - p.framesSent
        let expected = (totals.packetsReceived - p.packetsReceived) + (totals.packetsLost - p.packetsLost)
        samples.append(CallTimeline.Sample(
            t: (t * 1000).rounded() / 1000,
            capacityKbps: capacity(at: t),
            availableOutgoingBitrateKbps: n(pair, "availableOutgoingBitrate").map { ($0 / 100).rounded() / 10 },
            targetBitrateKbps: n(video, "targetBitrate").map { ($0 / 100).rounded() / 10 },
            videoMediaKbps: kbps(totals.videoBytes - p.videoBytes - rtx - (padding ?? 0)),
            videoRtxKbps: kbps(rtx),
            videoPaddingKbps: padding.map(kbps),
            audioKbps: kbps(totals.audioBytes - p.audioBytes),
            framesSentPerSecond: (frames / seconds * 10).rounded() / 10,
            framesDecodedPerSecond: ((totals.framesDecoded - p.framesDecoded) / seconds * 10).rounded() / 10,
            meanFrameBytes: frames > 0 ? ((totals.payloadBytes - p.payloadBytes) / frames).rounded() : nil,
            meanQP: frames > 0 ? ((totals.qpSum - p.qpSum) / frames * 10).rounded() / 10 : nil,
            frameWidth: n(video, "frameWidth").map { Int($0) },
            frameHeight: n(video, "frameHeight").map { Int($0) },
            qualityLimitationReason: Self.string(video, "qualityLimitationReason"),
            roundTripTimeMs: n(sender.first(type: "remote-inbound-rtp", kind: "video"), "roundTripTime").map { ($0 * 10000).rounded() / 10 },
            receiverLossPercent: expected > 0 ? (max(totals.packetsLost - p.packetsLost, 0) / expected * 1000).rounded() / 10 : nil,
            bandwidthLimitedBy: Self.string(transport, "bandwidthLimitedBy"),
            delayBasedKbps: n(transport, "delayBasedBitrate").map { ($0 / 100).rounded() / 10 },
            lossBasedKbps: n(transport, "lossBasedBitrate").map { ($0 / 100).rounded() / 10 },
            acknowledgedKbps: n(transport, "acknowledgedBitrate").map { ($0 / 100).rounded() / 10 },
            delayState: Self.string(transport, "delayState"),
            delayTrend: n(transport, "delayTrend").map { ($0 * 100).rounded() / 100 },
            delayThreshold: n(transport, "delayThreshold").map { ($0 * 100).rounded() / 100 }))
    }

    private static func string(_ e: RTCStatsReport.Entry?, _ name: String) -> String? {
        if case .string(let s)? = e?[name] { return s } else { return nil }
    }

    /// The timeline of the whole call.
    func timeline(title: String, freezes: [FreezeDetector.Freeze], framesSent: Int, framesDecoded: Int,
                  link: LinkRelayReport?, end: UInt64) -> CallTimeline {
        let duration = Double(end > origin ? end - origin : 0) / 1e9
        let frozen = freezes.map { CallTimeline.Freeze(t: (Double($0.start - min($0.start, origin)) / 1e6).rounded() / 1000,
                                                        durationMs: (Double($0.duration) / 1e5).rounded() / 10) }
        let capacities = samples.compactMap(\.capacityKbps)
        let media = link?.directions.first
        let videoKbps = samples.isEmpty ? 0 : samples.map { $0.videoMediaKbps + $0.videoRtxKbps + ($0.videoPaddingKbps ?? 0) }.reduce(0, +) / Double(samples.count)
        let summary = CallTimeline.Summary(
            durationSeconds: (duration * 10).rounded() / 10,
            framesSent: framesSent, framesDecoded: framesDecoded,
            decodedPercent: framesSent > 0 ? (Double(framesDecoded) / Double(framesSent) * 1000).rounded() / 10 : 0,
            freezeCount: frozen.count,
            longestFreezeMs: frozen.map(\.durationMs).max() ?? 0,
            totalFreezeMs: (frozen.map(\.durationMs).reduce(0, +) * 10).rounded() / 10,
            meanVideoKbps: (videoKbps * 10).rounded() / 10,
            meanCapacityKbps: capacities.isEmpty ? nil : (capacities.reduce(0, +) / Double(capacities.count) * 10).rounded() / 10,
            linkDropPercent: media?.dropPercent, linkDroppedQueue: media?.droppedQueue,
            queueingDelayP95Ms: media?.queueingDelayP95Ms, queueingDelayMaxMs: media?.queueingDelayMaxMs)
        let capacity = plan?.steps.map { CallTimeline.CapacityStep(t: $0.at, kbps: $0.spec.conditions.bandwidth.map { Double($0) / 1000 }, link: $0.spec.description) } ?? []
        return CallTimeline(title: title, capacity: capacity, samples: samples, freezes: frozen, link: link, summary: summary)
    }
}
