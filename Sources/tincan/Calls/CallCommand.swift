import ArgumentParser
import Foundation
import MediaCapture
import MediaPrimitives
import PeerConnection
import Signaling

/// `tincan call`: both directions at once, between two Linux hosts or with a browser.
struct CallCommand: AsyncParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "A two-way call: send the camera and microphone and receive the other side's.",
        discussion: """
        One side offers (the default) and the other answers (--answer). Through a tincan-signal room, the offering side waits for the other peer to join; a browser that opens the server's page and joins the same room answers it.

        Examples:
          host A: tincan call --allow camera,microphone --signal ws://a.example:8080 --room kitchen
          host B: tincan call --allow camera,microphone --signal ws://a.example:8080 --room kitchen --answer
          tincan call --fake-devices --allow camera,microphone --signal ws://127.0.0.1:8080 --room demo
                  (then open http://127.0.0.1:8080/?room=demo in a browser)
          tincan call --fake-devices --allow camera,microphone --copy-paste [--answer]
          the other side on a USB headset, or nowhere (a server with no sound card):
          tincan call ... --audio-output plughw:CARD=USB,DEV=0
          tincan call ... --no-audio-output

        The other side's audio plays on --audio-output through an adaptive jitter buffer (Opus concealment and FEC, time-stretching); getStats' inbound-rtp has its jitterBufferDelay, concealedSamples, ...

        In a room the call can change while it runs: either side may offer again (a new track, an ICE restart), and when both offer at once the answering side gives way ("perfect negotiation"). Commands on standard input, one per line:
          add-video      send a second camera track (the call's video constraints)
          remove-video   stop the last added one (the other side's track ends)
          restart-ice    an ICE restart: new credentials and checks, the media goes on
        e.g.  printf 'add-video\n' | tincan call ... --room demo   (or type them)
        """
    )

    @OptionGroup var logging: LoggingOptions
    @OptionGroup var deviceOptions: DeviceOptions
    @OptionGroup var permissionOptions: PermissionOptions
    @OptionGroup var signaling: SignalingOptions

    @Flag(help: "Answer the other side's offer instead of offering.")
    var answer = false

    @OptionGroup var sending: SendingOptions
    @OptionGroup var recording: RecordingOptions

    @Option(name: .customLong("audio-output"), help: ArgumentHelp(
        "Play the other side's audio on this ALSA device (default: default). One that cannot be opened (no sound card) is a warning and the call goes on.",
        valueName: "device"))
    var audioOutput: String?

    @Flag(name: .customLong("no-audio-output"), help: "Do not play the other side's audio (headless use; --audio-out still records it).")
    var noAudioOutput = false

    @OptionGroup var session: SessionOptions
    @OptionGroup var windowOptions: CallWindowOptions

    func validate() throws {
        try signaling.validate(offering: !answer)
        if noAudioOutput && audioOutput != nil { throw ValidationError("--audio-output and --no-audio-output: give one of them") }
    }

    func run() async throws {
        RTCPeerConnection.prepare()  // SRTP's and DTLS's OpenSSL first-use work, off the offer's path
        let devices = try CallSetup.mediaDevices(deviceOptions: deviceOptions, permissionOptions: permissionOptions)
        let stream = try await CallSetup.getUserMedia(on: devices, constraints: sending.constraints)
        let monitor = CallMonitor()
        let window = windowOptions.noWindow ? nil : await CallWindow.open(title: "tincan call")
        window?.showSelfView(of: stream)
        let playout = ReceivedAudioPlayout(device: noAudioOutput ? nil : (audioOutput ?? "default"))
        var watching: (task: Task<Void, Never>, recorder: ReceivedMediaRecorder)?
        defer { watching?.task.cancel() }
        let pc: RTCPeerConnection
        let channel: any Sendable
        let offerAt: UInt64
        var trickle: Task<Void, Never>?
        var localCandidates: Task<Void, Never>?
        defer { trickle?.cancel(); localCandidates?.cancel() }
        let events: PeerConnectionEventHub
        var made: RTCPeerConnection?
        do {
            if answer {
                let answering = try signaling.offerAnswering()
                channel = answering
                if let endpoint = answering as? WHIPEndpoint {
                    try await endpoint.start()
                    Output.stderr("tincan: WHIP endpoint at \(endpoint.endpointURL ?? "?"), waiting for an offer")
                }
                let answered = try await CallSetup.answer(answering, signaling: signaling, maxBitrate: sending.maxBitrate,
                                                          tracks: stream.getTracks()) { pc, events in
                    made = pc
                    watching?.task.cancel()
                    watching = recording.watchTracks(of: events, monitor: monitor, also: playout.attach)
                }
                pc = answered.pc
                events = answered.events
                offerAt = answered.offerAt
                trickle = answered.trickle
                localCandidates = answered.localCandidates
            } else {
                let offering = try CallSetup.peerConnection(signaling, maxBitrate: sending.maxBitrate)
                made = offering
                pc = offering
                let hub = PeerConnectionEventHub.start(pc)
                events = hub
                watching = recording.watchTracks(of: hub, monitor: monitor, also: playout.attach)
                let exchange = try signaling.offerExchange()
                channel = exchange
                // Hooked before the offer: the channel holds what comes early until the offer is out.
                localCandidates = CallSetup.forwardLocalCandidates(hub, to: exchange)
                for track in stream.getTracks() { try pc.addTrack(track) }
                if let room = exchange as? RoomClient {
                    // Wait for the other peer first: the offer-to-first-frame time is the call's, not the wait's.
                    try await room.join(role: .offerer)
                    _ = try await room.waitForPeer()
                }
                offerAt = MonotonicClock.now()
                let offer = try await pc.createOffer()
                try await pc.setLocalDescription(offer)
                let reply = try await exchange.exchange(offer: offer.sdp)
                try await pc.setRemoteDescription(RTCSessionDescription(type: .answer, sdp: reply))
                trickle = CallSetup.forwardTrickledCandidates(from: exchange, to: pc)
            }
            try await pc.waitUntilConnected(timeout: .seconds(20))
        } catch {
            Output.stderr("tincan: the call did not start: \(error)")
            for t in stream.getTracks() { t.stop() }
            await made?.close()
            await window?.close()
            await playout.stop()
            throw ExitCode(1)
        }
        // Offer (made or received) to ICE and DTLS connected, and through which candidates.
        let connectedMs = (Double(MonotonicClock.now() &- offerAt) / 1e4).rounded() / 100
        let connection = CallSetup.connectionSummary(pc.getStats(), offerToConnectedMs: connectedMs)
        let call = CallSession(pc: pc, events: events, stream: stream, duration: session.duration, monitor: monitor)
        Output.stderr("tincan: connected in \(connectedMs) ms\(CallSetup.describePath(connection))")
        window?.show(pc)
        let trackLog = RemoteTrackLog(events: events)
        trackLog.startAnnouncing(known: pc.getTransceivers().compactMap(\.mid))
        defer { trackLog.stop() }
        // In a room the call may change under way: renegotiation, and the commands on stdin.
        var negotiation: RoomNegotiation?
        var controls: (task: Task<Void, Never>, target: CallControls.Target)?
        if let room = channel as? RoomClient {
            let n = RoomNegotiation(pc: pc, room: room, polite: answer)
            n.start(events: events)
            negotiation = n
            let target = CallControls.Target(pc: pc, negotiation: n, devices: devices,
                                             videoConstraints: CallControls.videoConstraints(of: sending.constraints))
            controls = (Task { for await line in CallControls.lines() { await target.run(line) } }, target)
        }
        let ending = await call.run(hangups: CallSetup.hangups(of: channel))
        controls?.task.cancel()
        negotiation?.stop()
        for track in controls?.target.extraTracks ?? [] { track.stop() }
        let stats = pc.getStats()
        await window?.close()
        await call.end(exchange: channel)
        await playout.stop()
        for e in watching?.recorder.finish() ?? [] { Output.stderr("tincan: recording: \(e)") }
        let received = monitor.report(offerAt: offerAt, stats: stats)
        var members: [(String, JSONValue)] = [("sent", CallSetup.senderSummary(stats)), ("received", received), ("connection", connection)]
        members.append(("receivedTracks", trackLog.summary(stats)))
        if let counts = negotiation?.counts {
            members.append(("renegotiation", .object([
                ("offersSent", .number(Double(counts.offersSent))), ("answersSent", .number(Double(counts.answersSent))),
                ("offersReceived", .number(Double(counts.offersReceived))), ("answersReceived", .number(Double(counts.answersReceived))),
                ("offersIgnored", .number(Double(counts.offersIgnored))), ("iceRestarts", .number(Double(counts.iceRestarts))),
                ("failures", .number(Double(counts.failures)))])))
        }
        let summary = JSONValue.object(members)
        print(summary.serialized)
        if let statsJSON = session.statsJSON { try CallSetup.write(.object([("stats", stats.json)]), to: statsJSON, flattening: summary) }
        if ending.isFailure { throw ExitCode(1) }
    }
}
