import ArgumentParser
import Foundation
import MediaCapture
import PeerConnection
import Signaling

/// `tincan send`: getUserMedia, then offer the tracks to a WebRTC peer and send them until
/// the duration ends, the peer hangs up, or Ctrl-C.
struct SendCommand: AsyncParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send the camera and microphone to a WebRTC peer (WHIP, a tincan-signal room, copy-and-paste or files).",
        discussion: """
        The offer carries the local candidates gathered so far; any gathered later are trickled (a room's candidate messages, WHIP PATCH, RFC 9725 §4.3; a WHIP endpoint that answers 405 is not asked again). Ctrl-C ends the call cleanly: devices released, RTCP BYE, WHIP DELETE. When the peer stops answering consent checks (RFC 7675: it vanished, or the path broke) the call ends with the reason and exit status 1.

        Examples:
          tincan send --fake-devices --allow camera,microphone --whip http://127.0.0.1:8080/whip/room1
          tincan send --allow camera,microphone --signal ws://signal.example:8080 --room studio \\
            --constraints '{"video": {"width": 640, "height": 480,
                                      "frameRate": {"ideal": 10, "max": 15}}, "audio": true}'
          tincan send --fake-devices --allow camera,microphone --copy-paste
          tincan send --fake-devices --allow camera,microphone --offer-out offer.sdp --answer-in answer.sdp \\
            --duration 10 --stats-json stats.json
        """
    )

    @OptionGroup var logging: LoggingOptions
    @OptionGroup var deviceOptions: DeviceOptions
    @OptionGroup var permissionOptions: PermissionOptions
    @OptionGroup var signaling: SignalingOptions

    @OptionGroup var sending: SendingOptions
    @OptionGroup var session: SessionOptions

    func validate() throws {
        try signaling.validate(offering: true)
    }

    func run() async throws {
        RTCPeerConnection.prepare()  // SRTP's and DTLS's OpenSSL first-use work, off the offer's path
        let stream = try await CallSetup.getUserMedia(deviceOptions: deviceOptions, permissionOptions: permissionOptions, constraints: sending.constraints)
        let pc = try CallSetup.peerConnection(signaling, maxBitrate: sending.maxBitrate)
        for track in stream.getTracks() { try pc.addTransceiver(track, direction: .sendonly) }
        let exchange = try signaling.offerExchange()
        let events = PeerConnectionEventHub.start(pc)
        // Hooked before the offer: the channel holds what comes early until the offer is out.
        let localCandidates = CallSetup.forwardLocalCandidates(events, to: exchange)
        var trickle: Task<Void, Never>?
        defer {
            localCandidates?.cancel()
            trickle?.cancel()
        }
        let call = CallSession(pc: pc, events: events, stream: stream, duration: session.duration)
        do {
            let offer = try await pc.createOffer()
            try await pc.setLocalDescription(offer)
            let answer = try await exchange.exchange(offer: offer.sdp)
            try await pc.setRemoteDescription(RTCSessionDescription(type: .answer, sdp: answer))
            trickle = CallSetup.forwardTrickledCandidates(from: exchange, to: pc)
            try await pc.waitUntilConnected(timeout: .seconds(20))
        } catch {
            Output.stderr("tincan: the call did not start: \(error)")
            await call.end(exchange: exchange)
            throw ExitCode(1)
        }
        Output.stderr("tincan: connected, sending")
        let ending = await call.run(hangups: CallSetup.hangups(of: exchange))
        let stats = pc.getStats()
        await call.end(exchange: exchange)
        let summary = CallSetup.senderSummary(stats)
        print(summary.serialized)
        if let statsJSON = session.statsJSON {
            try CallSetup.write(.object([("summary", summary), ("stats", stats.json)]), to: statsJSON, flattening: summary)
        }
        if ending.isFailure { throw ExitCode(1) }
    }
}
