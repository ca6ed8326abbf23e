import ArgumentParser
import Foundation
import MediaCapture
import PeerConnection
import Signaling

/// `tincan recv`: answer one offer, decode what arrives, record it, report what was received.
struct RecvCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recv",
        abstract: "Receive a WebRTC call: answer an offer (as a WHIP endpoint, in a tincan-signal room, by copy-and-paste or files), decode, record, report.",
        discussion: """
        The report (stdout, JSON) gives videoFramesDecoded, width, height, fps (over the call), audioFramesDecoded, offerToFirstFrameMs (from the offer's arrival to the first decoded picture) and, when the sender sends RTCP sender reports, the audio/video offset.

        Examples:
          tincan recv --whip-listen 127.0.0.1:8080 --video-out in.ivf --audio-out in.ogg
          tincan recv --signal ws://127.0.0.1:8080 --room studio --duration 30 --video-out in.y4m
          tincan recv --copy-paste
          tincan recv --offer-in offer.sdp --answer-out answer.sdp --report report.json
        """
    )

    @OptionGroup var signaling: SignalingOptions

    @Option(help: ArgumentHelp("Seconds to receive after connecting (default: until the sender hangs up or Ctrl-C).", valueName: "seconds"))
    var duration: Double?

    @Option(name: .customLong("video-out"), help: ArgumentHelp("Record the video: .y4m raw, .ivf VP8.", valueName: "file"))
    var videoOut: String?

    @Option(name: .customLong("audio-out"), help: ArgumentHelp("Record the audio: .wav raw, .ogg Opus.", valueName: "file"))
    var audioOut: String?

    @Option(help: ArgumentHelp("Also write the report (JSON) to this file.", valueName: "file"))
    var report: String?

    @Option(name: .customLong("stats-json"), help: ArgumentHelp("Write the final getStats() here.", valueName: "file"))
    var statsJSON: String?

    func validate() throws {
        try signaling.validate(offering: false)
        if let duration, !(duration > 0 && duration <= 24 * 3600) { throw ValidationError("--duration must be between 0 and 86400 seconds") }
        for (flag, path, kinds) in [("--video-out", videoOut, ["y4m", "ivf"]), ("--audio-out", audioOut, ["wav", "ogg"])] {
            if let path, !kinds.contains(path.split(separator: ".").last?.lowercased() ?? "") {
                throw ValidationError("\(flag) \(path): use a .\(kinds.joined(separator: " or .")) file")
            }
        }
    }

    func run() async throws {
        var config = RTCConfiguration()
        config.loopbackCandidates = signaling.loopbackPolicy
        let pc = try RTCPeerConnection(configuration: config)
        let answering = try signaling.offerAnswering()
        if let endpoint = answering as? WHIPEndpoint {
            try await endpoint.start()
            Output.stderr("tincan: WHIP endpoint at \(endpoint.endpointURL ?? "?"), waiting for an offer")
        }
        let monitor = CallMonitor()
        let recorder = ReceivedMediaRecorder(videoPath: videoOut, audioPath: audioOut)
        let tracks = Task {
            for await event in pc.events {
                if case .track(let receiver, _) = event {
                    monitor.watch(receiver)
                    recorder.attach(receiver)
                }
            }
        }
        defer { tracks.cancel() }
        let session = CallSession(pc: pc, stream: nil, duration: duration, monitor: monitor)
        let offerAt: UInt64
        var trickle: Task<Void, Never>?
        defer { trickle?.cancel() }
        do {
            let offer = try await answering.receiveOffer()
            offerAt = MonotonicClock.now()
            try await pc.setRemoteDescription(RTCSessionDescription(type: .offer, sdp: offer))
            trickle = CallSetup.forwardTrickledCandidates(from: answering, to: pc)
            let answer = try await pc.createAnswer()
            try await pc.setLocalDescription(answer)
            try await answering.sendAnswer(answer.sdp)
            try await pc.waitUntilConnected(timeout: .seconds(20))
        } catch {
            Output.stderr("tincan: the call did not start: \(error)")
            await session.end(exchange: answering)
            throw ExitCode(1)
        }
        Output.stderr("tincan: connected, receiving")
        await session.run(hangups: CallSetup.hangups(of: answering))
        let stats = pc.getStats()
        await session.end(exchange: answering)
        let errors = recorder.finish()
        for e in errors { Output.stderr("tincan: recording: \(e)") }
        let result = monitor.report(offerAt: offerAt, stats: stats)
        print(result.serialized)
        if let report { try Data(result.serialized.utf8).write(to: URL(fileURLWithPath: report)) }
        if let statsJSON { try Data(stats.json.serialized.utf8).write(to: URL(fileURLWithPath: statsJSON)) }
        if monitor.decodedFrames == 0 && stats.first(type: "inbound-rtp", kind: "video") != nil {
            Output.stderr("tincan: no video frame was decoded")
            throw ExitCode(1)
        }
    }
}
