import ArgumentParser
import Foundation
import MediaCapture
import MediaPrimitives
import PeerConnection
import Signaling

/// `tincan recv`: answer one offer, decode what arrives, record it, report what was received.
struct RecvCommand: AsyncParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        commandName: "recv",
        abstract: "Receive a WebRTC call: answer an offer (as a WHIP endpoint, in a tincan-signal room, by copy-and-paste or files), decode, record, report.",
        discussion: """
        As a WHIP endpoint (--whip-listen) it answers one call: a POST that is not a usable SDP offer gets 400 with the reason and the endpoint waits for the next one; browsers on other origins may POST when --cors-origins allows them (default: any). A call whose peer stops answering consent checks ends with the reason and exit status 1.

        The report (stdout, JSON) gives videoFramesDecoded, width, height, fps (over the call), audioFramesDecoded, freezeCount, longestFreezeMs and totalFreezeMs (webrtc-stats' freeze: a gap between decoded frames longer than max(3 × the mean frame duration, mean + 150 ms), the mean over the 30 frames before it; the same figures Chromium's getStats gives as freezeCount and totalFreezesDuration), offerToFirstFrameMs (from the offer's arrival to the first decoded picture), offerToConnectedMs (to ICE and DTLS connected) and, when the sender sends RTCP sender reports, the audio/video offset.

        Examples:
          tincan recv --whip-listen 127.0.0.1:8080 --video-out in.ivf --audio-out in.ogg
          tincan recv --signal ws://127.0.0.1:8080 --room studio --duration 30 --video-out in.y4m
          tincan recv --copy-paste --audio-output default
          tincan recv --offer-in offer.sdp --answer-out answer.sdp --report report.json
        """
    )

    @OptionGroup var logging: LoggingOptions
    @OptionGroup var signaling: SignalingOptions

    @OptionGroup var recording: RecordingOptions

    @Option(name: .customLong("audio-output"), help: ArgumentHelp(
        "Also play the received audio on this ALSA device (default: none). One that cannot be opened is a warning and the call goes on.",
        valueName: "device"))
    var audioOutput: String?

    @OptionGroup var session: SessionOptions
    @OptionGroup var windowOptions: RecvWindowOptions

    @Option(help: ArgumentHelp("Also write the report (JSON) to this file.", valueName: "file"))
    var report: String?

    func validate() throws {
        try signaling.validate(offering: false)
    }

    func run() async throws {
        RTCPeerConnection.prepare()  // SRTP's and DTLS's OpenSSL first-use work, off the offer's path
        let answering = try signaling.offerAnswering()
        if let endpoint = answering as? WHIPEndpoint {
            try await endpoint.start()
            Output.stderr("tincan: WHIP endpoint at \(endpoint.endpointURL ?? "?"), waiting for an offer")
        }
        let monitor = CallMonitor()
        let window = windowOptions.window ? await CallWindow.open(title: "tincan recv") : nil
        let playout = ReceivedAudioPlayout(device: audioOutput)
        // One connection per offer (a refused offer's is discarded): hooked as it is made.
        var watching: (task: Task<Void, Never>, recorder: ReceivedMediaRecorder)?
        defer { watching?.task.cancel() }
        let answered: CallSetup.Answered
        do {
            answered = try await CallSetup.answer(answering, signaling: signaling) { _, events in
                watching?.task.cancel()
                watching = recording.watchTracks(of: events, monitor: monitor, also: playout.attach)
            }
        } catch {
            Output.stderr("tincan: the call did not start: \(error)")
            try? await answering.close()
            await window?.close()
            throw ExitCode(1)
        }
        let pc = answered.pc, offerAt = answered.offerAt
        defer { answered.cancelTrickle() }
        let call = CallSession(pc: pc, events: answered.events, stream: nil, duration: session.duration, monitor: monitor)
        do {
            try await pc.waitUntilConnected(timeout: .seconds(20))
        } catch {
            Output.stderr("tincan: the call did not start: \(error)")
            await call.end(exchange: answering)
            await window?.close()
            await playout.stop()
            throw ExitCode(1)
        }
        let connectedAt = MonotonicClock.now()
        Output.stderr("tincan: connected, receiving")
        window?.show(pc)
        let ending = await call.run(hangups: CallSetup.hangups(of: answering))
        let stats = pc.getStats()
        await window?.close()
        await call.end(exchange: answering)
        await playout.stop()
        let errors = watching?.recorder.finish() ?? []
        for e in errors { Output.stderr("tincan: recording: \(e)") }
        let result = monitor.report(offerAt: offerAt, connectedAt: connectedAt, stats: stats)
        print(result.serialized)
        if let report { try Data(result.serialized.utf8).write(to: URL(fileURLWithPath: report)) }
        if let statsJSON = session.statsJSON { try Data(stats.json.serialized.utf8).write(to: URL(fileURLWithPath: statsJSON)) }
        if monitor.decodedFrames == 0 && stats.first(type: "inbound-rtp", kind: "video") != nil {
            Output.stderr("tincan: no video frame was decoded")
            throw ExitCode(1)
        }
        if ending.isFailure { throw ExitCode(1) }
    }
}
