import ArgumentParser
import Foundation
import ICE
import LinkEmulator
import MediaCapture
import MediaPrimitives
import NetworkPrimitives
import PeerConnection

/// `tincan loopback`: the main job. Two peers in one process, the built-in synthetic camera
/// and microphone, a real call over UDP on loopback (ICE, DTLS-SRTP, RTP/RTCP), a live stats
/// line and a final report that scores what was decoded against what was sent.
struct LoopbackCommand: AsyncParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        commandName: "loopback",
        abstract: "Call yourself: synthetic camera and microphone, sent over WebRTC on 127.0.0.1 and decoded.",
        discussion: """
        Nothing to set up: the synthetic devices need no permission, the call uses 127.0.0.1 only. The report gives frames sent and decoded, the measured frame rate, offer-to-first-frame time, the PSNR of decoded pictures against the pictures sent (paired by the frame counter burned into each picture), and the audio/video offset (capture-to-decode delay of each, from the RTCP sender reports).

        Examples:
          tincan loopback
          tincan loopback --duration 10 --max-bitrate 1000000 --json
          tincan loopback --constraints '{"video": {"width": 640, "height": 480,
                                          "frameRate": {"ideal": 10, "max": 15}}, "audio": true}'
          tincan loopback --link "300kbit,100ms,2%" --duration 40 --chart call.svg
          tincan loopback --scenario scripts/thin-link/capacity-drop.json --timeline-json call.json --chart call.svg

        With --link or --scenario the call crosses an emulated link: a UDP relay in the same process (one stand-in socket per peer; each peer's SDP names the other's stand-in as its only candidate), so every ICE check and media packet meets the link's rate, queue, delay and loss. The report then adds the link's figures (drops by reason, queueing delay). A scenario's "duration" and "constraints" apply unless --duration / --constraints are given.

        --timeline-json writes the call's figures every 250 ms (capacity, the sender's estimate, send rate split into media/RTX/padding, frame rate, frame size, queueing delay, loss, freezes) and a summary; --chart draws them as an SVG.

        \(LinkOptions.grammar)
        """
    )

    static let defaultConstraints = #"{"video": {"width": 640, "height": 480}, "audio": true}"#
    /// How often the call's timeline (`--timeline`, the chart) is sampled.
    static let sampleInterval: Duration = .milliseconds(250)

    @OptionGroup var logging: LoggingOptions
    @Option(help: ArgumentHelp("MediaStreamConstraints as JSON, for the synthetic devices (default \(defaultConstraints)).", valueName: "json"))
    var constraints: String?

    @Option(help: ArgumentHelp("Seconds of call (default 10, or the scenario's duration).", valueName: "seconds"))
    var duration: Double?

    @OptionGroup var linkOptions: LinkOptions

    @OptionGroup var ice: ICEServerOptions

    @Option(name: .customLong("timeline-json"), help: ArgumentHelp("Write the call's figures over time (every 250 ms) and a summary here.", valueName: "file"))
    var timelineJSON: String?

    @Option(help: ArgumentHelp("Draw the call's figures over time as an SVG chart here.", valueName: "file.svg"))
    var chart: String?

    @Option(name: .customLong("max-bitrate"), help: ArgumentHelp("Video bitrate cap in bit/s.", valueName: "bps"))
    var maxBitrate: Int = 1_000_000

    @Option(name: .customLong("stats-json"), help: ArgumentHelp("Write the final getStats() of both peers here.", valueName: "file"))
    var statsJSON: String?

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        if let duration, !(duration > 0 && duration <= 24 * 3600) { throw ValidationError("--duration must be between 0 and 86400 seconds") }
        guard (10_000...50_000_000).contains(maxBitrate) else { throw ValidationError("--max-bitrate is in bits per second, between 10000 and 50000000") }
    }

    func run() async throws {
        RTCPeerConnection.prepare()  // SRTP's and DTLS's OpenSSL first-use work, off the offer's path
        let plan = try linkOptions.load()
        let duration = self.duration ?? plan?.duration ?? 10
        let constraints = self.constraints ?? plan?.constraints ?? Self.defaultConstraints
        let devices = MediaDevices(videoDevices: [SyntheticCamera()], audioDevices: [SyntheticMicrophone()],
                                   permissions: StaticPermissions.allowAll, indicator: StderrCaptureIndicator(prefix: "tincan: "))
        let stream: MediaStream
        do { stream = try await devices.getUserMedia(jsonText: constraints) } catch {
            Output.stderr("tincan: getUserMedia failed: \(error)")
            throw ExitCode(1)
        }
        var config = RTCConfiguration()
        config.restrictToAddresses = [IPAddress("127.0.0.1")].compactMap { $0 }
        config.maxBitrate = maxBitrate
        ice.apply(to: &config)
        let caller = try RTCPeerConnection(configuration: config)
        let callee = try RTCPeerConnection(configuration: config)
        let monitor = CallMonitor()
        for track in stream.getTracks() {
            try caller.addTrack(track)
            if track.kind == "video" { monitor.keepSentPictures(of: track) }
        }
        let watcher = Task {
            for await event in callee.events {
                if case .track(let receiver, _) = event { monitor.watch(receiver) }
            }
        }

        // The emulated link, when asked for: its time zero is the call's.
        let relay: UDPLinkRelay?
        if let plan {
            do { relay = try await UDPLinkRelay(.pair(host: "127.0.0.1"), scenario: plan.scenario, seed: linkOptions.linkSeed) } catch {
                Output.stderr("tincan: cannot start the link relay: \(error)")
                throw ExitCode(1)
            }
        } else {
            relay = nil
        }
        let offerAt = relay.map { $0.startUptimeNanoseconds } ?? MonotonicClock.now()
        var connectedAt = offerAt
        do {
            var offer = try await caller.createOffer()
            try await caller.setLocalDescription(offer)
            if let relay { offer.sdp = try await Self.throughLink(caller.localDescription ?? offer, peer: 0, relay: relay) }
            try await callee.setRemoteDescription(offer)
            var answer = try await callee.createAnswer()
            try await callee.setLocalDescription(answer)
            if let relay { answer.sdp = try await Self.throughLink(callee.localDescription ?? answer, peer: 1, relay: relay) }
            try await caller.setRemoteDescription(answer)
            try await caller.waitUntilConnected()
            connectedAt = MonotonicClock.now()
        } catch {
            Output.stderr("tincan: the call did not connect: \(error)")
            await caller.close(); await callee.close(); await relay?.close()
            throw ExitCode(1)
        }

        let interrupted = Interrupt()
        let start = Date()
        let live = isatty(STDERR_FILENO) == 1
        var lastLine = Date.distantPast
        var recorder = CallTimelineRecorder(origin: offerAt, plan: plan)
        recorder.sample(sender: caller.getStats(), receiver: callee.getStats(), decodedFrames: monitor.decodedFrames, at: MonotonicClock.now())
        // What wakes the loop: the timeline's next sample, the duration's end, Ctrl-C.
        let end = ContinuousClock.now + .milliseconds(Int64((duration * 1000).rounded(.up)))
        let wakeups = CommandWakeups(interrupted: interrupted, every: Self.sampleInterval, until: end)
        defer { wakeups.stop() }
        var woken = wakeups.wakes.makeAsyncIterator()
        while !interrupted.happened {
            _ = await woken.next()
            // The end's wake takes no sample: the one after the loop is the last.
            guard !interrupted.happened, ContinuousClock.now < end else { break }
            recorder.sample(sender: caller.getStats(), receiver: callee.getStats(), decodedFrames: monitor.decodedFrames, at: MonotonicClock.now())
            if live, Date().timeIntervalSince(lastLine) >= 1 {
                lastLine = Date()
                let line = monitor.statsLine(caller.getStats().merged(with: callee.getStats()), elapsed: Date().timeIntervalSince(start), capturing: stream.active)
                FileHandle.standardError.write(Data(("\r" + line + "   ").utf8))
            }
        }
        if live { FileHandle.standardError.write(Data("\n".utf8)) }
        let endedAt = MonotonicClock.now()
        let callerStats = caller.getStats(), calleeStats = callee.getStats()
        recorder.sample(sender: callerStats, receiver: calleeStats, decodedFrames: monitor.decodedFrames, at: endedAt)
        let linkReport = try? await relay?.report()
        for t in stream.getTracks() { t.stop() }
        await caller.close()
        await callee.close()
        await relay?.close()
        watcher.cancel()

        var report = monitor.report(offerAt: offerAt, connectedAt: connectedAt, stats: calleeStats)
        if case .object(var m) = report {
            let out = callerStats.first(type: "outbound-rtp", kind: "video")
            if case .number(let sent)? = out?["framesSent"] { m.insert(("videoFramesSent", .number(sent)), at: 0) }
            if case .number(let bytes)? = out?["bytesSent"] {
                m.append(("videoKbitPerSecond", .number((bytes * 8 / Date().timeIntervalSince(start) / 10).rounded() / 100)))
            }
            if case .number(let rtt)? = callerStats.first(type: "remote-inbound-rtp", kind: "video")?["roundTripTime"] {
                m.append(("roundTripTimeMs", .number((rtt * 10000).rounded() / 10)))
            }
            report = .object(m)
        }
        let framesSent = RTCStatsReport.Entry.count(callerStats.first(type: "outbound-rtp", kind: "video"), "framesSent")
        let timeline = recorder.timeline(title: Self.title(plan, constraints: constraints), freezes: monitor.freezes,
                                         framesSent: framesSent, framesDecoded: monitor.decodedFrames, link: linkReport, end: endedAt)
        if case .object(var m) = report {
            if let forward = linkReport?.directions.first {
                m.append(("link", .object([
                    ("spec", .string(plan?.steps.map { $0.spec.description }.joined(separator: " → ") ?? "")),
                    ("datagramsOffered", .number(Double(forward.datagramsOffered))),
                    ("droppedRandom", .number(Double(forward.droppedRandom))),
                    ("droppedBurst", .number(Double(forward.droppedBurst))),
                    ("droppedQueue", .number(Double(forward.droppedQueue))),
                    ("dropPercent", .number(forward.dropPercent)),
                    ("queueingDelayMeanMs", forward.queueingDelayMeanMs.map { .number($0) } ?? .null),
                    ("queueingDelayP95Ms", forward.queueingDelayP95Ms.map { .number($0) } ?? .null),
                    ("queueingDelayMaxMs", forward.queueingDelayMaxMs.map { .number($0) } ?? .null),
                    ("deliveredKbitPerSecond", .number(forward.deliveredKbitPerSecond)),
                ])))
            }
            report = .object(m)
        }
        if let timelineJSON {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(timeline).write(to: URL(fileURLWithPath: timelineJSON))
        }
        if let chart {
            try Data(CallChart(timeline: timeline).svg().utf8).write(to: URL(fileURLWithPath: chart))
        }
        if let statsJSON {
            try Data(JSONValue.object([("caller", callerStats.json), ("callee", calleeStats.json)]).serialized.utf8)
                .write(to: URL(fileURLWithPath: statsJSON))
        }
        if json {
            Output.print(report)
        } else {
            Self.printReport(report)
        }
    }

    static func printReport(_ r: JSONValue) {
        func v(_ k: String) -> String { r[k].map { $0.serialized } ?? "-" }
        print("video: \(v("videoFramesSent")) frames sent, \(v("videoFramesDecoded")) decoded at \(v("width"))x\(v("height")), \(v("fps")) fps, \(v("videoKbitPerSecond")) kbit/s")
        print("first frame: \(v("offerToFirstFrameMs")) ms after the offer")
        print("quality: PSNR \(v("psnrMeanDb")) dB mean, \(v("psnrMinDb")) dB min over \(v("psnrFrames")) frames")
        print("audio: \(v("audioFramesDecoded")) Opus frames decoded; A/V offset \(v("avOffsetMs")) ms (video \(v("videoDelayMs")) ms, audio \(v("audioDelayMs")) ms capture to decode)")
        print("network: rtt \(v("roundTripTimeMs")) ms, \(v("videoPacketsLost")) video packets lost; \(v("freezeCount")) freezes, longest \(v("longestFreezeMs")) ms")
        if let link = r["link"] {
            func l(_ k: String) -> String { link[k].map { $0.serialized } ?? "-" }
            print("link: \(l("spec")); caller → callee dropped \(l("droppedRandom")) random + \(l("droppedBurst")) burst + \(l("droppedQueue")) queue of \(l("datagramsOffered")) (\(l("dropPercent"))%), queueing delay p95 \(l("queueingDelayP95Ms")) ms, max \(l("queueingDelayMaxMs")) ms")
        }
    }

    /// The chart's title: the link and the constraints.
    static func title(_ plan: LinkScenarioFile?, constraints: String) -> String {
        let link = plan.map { p in p.description ?? p.steps.map { "\($0.spec)" + ($0.at > 0 ? " from \(fmt($0.at)) s" : "") }.joined(separator: " → ") } ?? "no link emulation"
        let compact = constraints.filter { !$0.isWhitespace }
        return "tincan loopback · \(link) · \(compact)"
    }

    /// Moves `description`'s candidate to peer `peer`'s stand-in on the relay, after telling
    /// the relay where the peer really is; returns the SDP the other peer receives.
    static func throughLink(_ description: RTCSessionDescription, peer: Int, relay: UDPLinkRelay) async throws -> String {
        guard let candidate = LoopbackLink.firstUDPCandidate(in: description.sdp) else {
            throw RTCError(.operationError, "no UDP candidate in the \(description.type.rawValue) to route through the link")
        }
        try await relay.setPeerAddress(try LoopbackLink.socketAddress(candidate), of: peer)
        let standIn = relay.localAddresses[peer]
        return LoopbackLink.rewrite(description.sdp, to: .init(ip: standIn.ipAddress ?? "127.0.0.1", port: standIn.port ?? 0))
    }
}

extension RTCStatsReport.Entry {
    /// An integer member of `entry`, 0 when absent.
    static func count(_ entry: RTCStatsReport.Entry?, _ key: String) -> Int {
        if case .number(let v)? = entry?[key] { return Int(v) }
        return 0
    }
}

extension RTCStatsReport {
    /// Two peers' reports side by side (loopback shows the sender's and the receiver's view).
    func merged(with other: RTCStatsReport) -> RTCStatsReport { RTCStatsReport(entries: entries + other.entries) }
}
