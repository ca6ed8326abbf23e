import ArgumentParser
import Foundation
import ICE
import MediaCapture
import PeerConnection

/// `tincan loopback`: the main job. Two peers in one process, the built-in synthetic camera
/// and microphone, a real call over UDP on loopback (ICE, DTLS-SRTP, RTP/RTCP), a live stats
/// line and a final report that scores what was decoded against what was sent.
struct LoopbackCommand: AsyncParsableCommand {
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
        """
    )

    @Option(help: ArgumentHelp("MediaStreamConstraints as JSON, for the synthetic devices.", valueName: "json"))
    var constraints = #"{"video": {"width": 640, "height": 480}, "audio": true}"#

    @Option(help: ArgumentHelp("Seconds of call.", valueName: "seconds"))
    var duration: Double = 10

    @Option(name: .customLong("max-bitrate"), help: ArgumentHelp("Video bitrate cap in bit/s.", valueName: "bps"))
    var maxBitrate: Int = 1_000_000

    @Option(name: .customLong("stats-json"), help: ArgumentHelp("Write the final getStats() of both peers here.", valueName: "file"))
    var statsJSON: String?

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        guard duration > 0, duration <= 24 * 3600 else { throw ValidationError("--duration must be between 0 and 86400 seconds") }
        guard (10_000...50_000_000).contains(maxBitrate) else { throw ValidationError("--max-bitrate is in bits per second, between 10000 and 50000000") }
    }

    func run() async throws {
        let devices = MediaDevices(videoDevices: [SyntheticCamera()], audioDevices: [SyntheticMicrophone()],
                                   permissions: StaticPermissions.allowAll)
        let stream: MediaStream
        do { stream = try await devices.getUserMedia(jsonText: constraints) } catch {
            Output.stderr("tincan: getUserMedia failed: \(error)")
            throw ExitCode(1)
        }
        var config = RTCConfiguration()
        config.restrictToAddresses = [IPAddress("127.0.0.1")].compactMap { $0 }
        config.maxBitrate = maxBitrate
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

        let offerAt = MonotonicClock.now()
        var connectedAt = offerAt
        do {
            let offer = try await caller.createOffer()
            try await caller.setLocalDescription(offer)
            try await callee.setRemoteDescription(offer)
            let answer = try await callee.createAnswer()
            try await callee.setLocalDescription(answer)
            try await caller.setRemoteDescription(answer)
            try await caller.waitUntilConnected()
            connectedAt = MonotonicClock.now()
        } catch {
            Output.stderr("tincan: the call did not connect: \(error)")
            await caller.close(); await callee.close()
            throw ExitCode(1)
        }

        let interrupted = Interrupt()
        let start = Date()
        let live = isatty(STDERR_FILENO) == 1
        var lastLine = Date.distantPast
        while Date().timeIntervalSince(start) < duration, !interrupted.happened {
            try? await Task.sleep(for: .milliseconds(100))
            if live, Date().timeIntervalSince(lastLine) >= 1 {
                lastLine = Date()
                let line = monitor.statsLine(caller.getStats().merged(with: callee.getStats()), elapsed: Date().timeIntervalSince(start), capturing: stream.active)
                FileHandle.standardError.write(Data(("\r" + line + "   ").utf8))
            }
        }
        if live { FileHandle.standardError.write(Data("\n".utf8)) }
        let callerStats = caller.getStats(), calleeStats = callee.getStats()
        for t in stream.getTracks() { t.stop() }
        await caller.close()
        await callee.close()
        watcher.cancel()

        var report = monitor.report(offerAt: offerAt, stats: calleeStats)
        if case .object(var m) = report {
            m.append(("offerToConnectedMs", .number((Double(connectedAt - offerAt) / 1e4).rounded() / 100)))
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
        print("network: rtt \(v("roundTripTimeMs")) ms, \(v("videoPacketsLost")) video packets lost")
    }
}

extension RTCStatsReport {
    /// Two peers' reports side by side (loopback shows the sender's and the receiver's view).
    func merged(with other: RTCStatsReport) -> RTCStatsReport { RTCStatsReport(entries: entries + other.entries) }
}
