import DTLS
import Foundation
import ICE
import Logging
import MediaCapture
import NIOCore
import NetworkPrimitives
import RTP
import SDP
import SRTP
import Synchronization

/// `RTCPeerConnection` (WebRTC 1.0 §4) for a Linux host: tracks in, SDP offers and answers
/// out, ICE + DTLS-SRTP underneath, RTP/RTCP per track.
///
/// Candidates are gathered before a description is created, so the SDP is complete
/// (non-trickle, what WHIP and copy-and-paste need); remote candidates may still trickle in
/// through `addIceCandidate`. Everything is BUNDLEd on one ICE transport. Tracks may come and
/// go during the call: each change raises `negotiationNeeded`, and a new offer and answer
/// (either side may offer; a glaring offer rolls ours back) start and stop the streams on the
/// running transport.
///
/// Every protocol step runs on one event loop (`RTCSettingEngine.eventLoop`): ICE, the DTLS
/// handshake, RTP out and in, RTCP and its timers. Steps follow events (a pair selected, the
/// handshake done), not polling, so a test loop with a simulated clock runs a whole call
/// deterministically.
public final class RTCPeerConnection: Sendable {
    public let configuration: RTCConfiguration
    /// The non-spec knobs this connection runs with (its loop, its network).
    public let settings: RTCSettingEngine
    private let clock: MediaClock
    /// Track arrivals, local candidates and connection state changes, in order.
    public let events: AsyncStream<RTCPeerConnectionEvent>
    private let eventSink: AsyncStream<RTCPeerConnectionEvent>.Continuation
    private let certificate: DTLSCertificate

    private struct State {
        var transceivers: [Transceiver] = []
        var agent: ICEAgent?
        var localCandidates: [String] = []
        var localDescription: RTCSessionDescription?
        var remoteDescription: RTCSessionDescription?
        var localSDP: SessionDescription?
        var remoteSDP: SessionDescription?
        var isOfferer = false
        var sessionId = UInt64.random(in: 1 ... UInt64(Int64.max))
        var version = 1
        var transport: RTCDtlsTransport?
        /// The RTP pipeline of the transport (pacer, feedback, the bandwidth estimator).
        var media: MediaTransport?
        /// The pipeline's latest target, split among the senders.
        var target: TargetTransferRate?
        var connectionState = RTCPeerConnectionState.new
        var signalingState = RTCSignalingState.stable
        var closed = false
        /// The receivers' RTCP timer (NACK, PLI, RR; the pipeline times SR, REMB and
        /// transport-cc itself), armed at the earliest receiver's next deadline while
        /// something receives.
        var rtcpTimer: Scheduled<Void>?
        var rtcpTimerDeadline: Duration?
        /// When the playing audio was last lip-synced with the first video (once a second).
        var lastLipSyncAt: Duration?
        /// Waiting in `waitUntilConnected`.
        var connectionWaiters = ContinuationWaiters()
        var iceState = ICEConnectionState.new
        var selectedPair: ICECandidatePair?
        /// Who RTP and RTCP go to, kept beside the transceivers so that routing a packet
        /// reads two arrays instead of building them (set when media starts, and by removeTrack).
        var activeSenders: [RTCRtpSender] = []
        /// Why the connection failed, for the error a user sees (ICE timed out, fingerprint
        /// mismatch, ...).
        var failure: String?
        var activeReceivers: [RTCRtpReceiver] = []
        /// Clear packets that were dropped because they do not parse or belong to no stream
        /// (getStats `transport`).
        var undecodableRTP: Int64 = 0
        var unroutableRTP: Int64 = 0
        var undecodableRTCP: Int64 = 0
        /// What the pending offer replaced, for a rollback.
        var beforeOffer: Rollback?
        /// WebRTC 1.0 §4.7.3's negotiation-needed flag.
        var negotiationNeeded = false
        /// New local ICE credentials (an ICE restart, RFC 8445 §9), from `createOffer`'s
        /// `iceRestart` or an answer to a restarting offer; the agent takes them when the
        /// exchange completes (so a rolled-back offer leaves ICE as it was).
        var restartCredentials: ICECredentials?
        /// The peer's ICE credentials the agent has: a change is the peer's ICE restart.
        var remoteICE: ICECredentials?
        /// Ours, as the agent has them.
        var localICE: ICECredentials?
        /// The DTLS role of the association, kept by every later answer (RFC 8842 §5.5).
        var dtlsRole: DTLSRole?
        var gatheringState = RTCIceGatheringState.new
        /// Waiting in `waitForGatheringComplete`.
        var gatheringWaiters = ContinuationWaiters()
    }

    private let state = Mutex(State())
    /// Times the receivers' RTCP timer fired (for tests: it fires when something is due,
    /// not every 20 ms).
    let rtcpPolls = Atomic<Int>(0)

    /// The ICE agent once there is one: tests reach its socket through it (a send the socket
    /// refuses shows in getStats' transport as datagramSendFailures).
    var iceAgent: ICEAgent? { state.withLock { $0.agent } }

    public init(configuration: RTCConfiguration = RTCConfiguration(), settings: RTCSettingEngine = RTCSettingEngine()) throws {
        // WebRTC 1.0 §4.4.1.1: iceServers are validated when the connection is made.
        for server in configuration.iceServers { _ = try server.parsedURLs() }
        self.configuration = configuration
        self.settings = settings
        clock = MediaClock(eventLoop: settings.eventLoop, simulated: settings.simulatedTime)
        certificate = try DTLSCertificate.generate()
        try SRTPLibrary.ensureInitialized()
        (events, eventSink) = AsyncStream.makeStream(of: RTCPeerConnectionEvent.self)
    }

    public var connectionState: RTCPeerConnectionState { state.withLock { $0.connectionState } }
    /// WebRTC 1.0 §4.3.1: `stable` before and after an exchange, `have-local-offer` between
    /// our offer and its answer, `have-remote-offer` between theirs and ours.
    public var signalingState: RTCSignalingState { state.withLock { $0.signalingState } }
    /// Why `connectionState` is `failed`, in words.
    public var failureReason: String? { state.withLock { $0.failure } }
    public var localDescription: RTCSessionDescription? { state.withLock { $0.localDescription } }
    public var remoteDescription: RTCSessionDescription? { state.withLock { $0.remoteDescription } }
    public func getSenders() -> [RTCRtpSender] { state.withLock { $0.transceivers.compactMap(\.sender) } }
    public func getReceivers() -> [RTCRtpReceiver] { state.withLock { $0.transceivers.compactMap(\.receiver) } }
    /// WebRTC 1.0 §5.1 `getTransceivers()`: one per m-section, in the order of the SDP.
    public func getTransceivers() -> [RTCRtpTransceiver] { state.withLock { $0.transceivers.map(RTCRtpTransceiver.init) } }

    // MARK: Tracks

    /// WebRTC 1.0 §5.1 `addTrack`: a sendrecv transceiver for the track, or an unused one of
    /// its kind (created by a remote offer, or left by removeTrack). Mid-call, the track is
    /// sent once a new offer and its answer carry it (`negotiationNeeded` says when to offer).
    @discardableResult
    public func addTrack(_ track: MediaStreamTrack, streamId: String = "tincan") throws -> RTCRtpSender {
        let (sender, fire) = try state.withLock { s in
            guard !s.closed else { throw RTCError(.invalidStateError, "the connection is closed") }
            let kind = track.mediaKind
            let sender = RTCRtpSender(track: track, maxBitrate: configuration.maxBitrate)
            if let i = s.transceivers.firstIndex(where: { $0.kind == kind && $0.sender == nil && !$0.stopped && !$0.hasSent }) {
                s.transceivers[i].sender = sender
                s.transceivers[i].streamId = streamId
                s.transceivers[i].direction = RTCRtpTransceiverDirection(sends: true, receives: s.transceivers[i].direction.receives)
            } else {
                s.transceivers.append(Transceiver(kind: kind, direction: .sendrecv, sender: sender, streamId: streamId))
            }
            return (sender, updateNegotiationNeeded(&s))
        }
        if fire { eventSink.yield(.negotiationNeeded) }
        return sender
    }

    /// WebRTC 1.0 §5.1 `addTransceiver(track, {direction})`: e.g. `.sendonly` for a sender
    /// that wants nothing back.
    @discardableResult
    public func addTransceiver(_ track: MediaStreamTrack, direction: RTCRtpTransceiverDirection, streamId: String = "tincan") throws -> RTCRtpSender {
        let (sender, fire) = try state.withLock { s in
            guard !s.closed else { throw RTCError(.invalidStateError, "the connection is closed") }
            let sender = RTCRtpSender(track: track, maxBitrate: configuration.maxBitrate)
            s.transceivers.append(Transceiver(kind: track.mediaKind, direction: direction,
                                              sender: sender, streamId: streamId))
            return (sender, updateNegotiationNeeded(&s))
        }
        if fire { eventSink.yield(.negotiationNeeded) }
        return sender
    }

    /// WebRTC 1.0 §5.1 `removeTrack`: the sender stops at once (an RTCP BYE for its SSRC, its
    /// encoder closed, the track detached) and its transceiver no longer wants to send; the
    /// next offer says so (`negotiationNeeded`). The track itself keeps running: it belongs
    /// to the caller.
    public func removeTrack(_ sender: RTCRtpSender) async throws {
        let (transport, found, fire) = try state.withLock { s -> (RTCDtlsTransport?, Bool, Bool) in
            guard !s.closed else { throw RTCError(.invalidStateError, "the connection is closed") }
            guard let i = s.transceivers.firstIndex(where: { $0.sender === sender }) else { return (nil, false, false) }
            s.transceivers[i].direction = RTCRtpTransceiverDirection(sends: false, receives: s.transceivers[i].direction.receives)
            s.transceivers[i].sender = nil
            s.transceivers[i].hasSent = s.transceivers[i].hasSent || s.transceivers[i].sendParameters != nil
            s.activeSenders.removeAll { $0 === sender }
            s.transceivers[i].sendParameters = nil
            return (s.transport, true, updateNegotiationNeeded(&s))
        }
        guard found else { throw RTCError(.invalidAccessError, "the sender is not one of this connection's") }
        if fire { eventSink.yield(.negotiationNeeded) }
        await stopSending([sender], on: transport)
    }

    /// WebRTC 1.0 §5.1 `addTransceiver(kind)`: e.g. `.recvonly` to receive without sending.
    public func addTransceiver(_ kind: RTPMediaKind, direction: RTCRtpTransceiverDirection = .recvonly) throws {
        let fire = try state.withLock { s in
            guard !s.closed else { throw RTCError(.invalidStateError, "the connection is closed") }
            s.transceivers.append(Transceiver(kind: kind, direction: direction, streamId: "tincan"))
            return updateNegotiationNeeded(&s)
        }
        if fire { eventSink.yield(.negotiationNeeded) }
    }

    /// WebRTC 1.0 §5.4 `RTCRtpTransceiver.stop()`: the transceiver with this mid stops sending
    /// and receiving at once; the next offer refuses its section (port 0), and the peer's
    /// track of it ends.
    public func stopTransceiver(mid: String) async throws {
        let (transport, sender, receiver, fire) = try state.withLock { s in
            guard !s.closed else { throw RTCError(.invalidStateError, "the connection is closed") }
            guard let i = s.transceivers.firstIndex(where: { $0.mid == mid }) else {
                throw RTCError(.invalidAccessError, "no transceiver has mid \(mid)")
            }
            let t = s.transceivers[i]
            s.transceivers[i].stopped = true
            s.transceivers[i].direction = .inactive
            s.transceivers[i].sendParameters = nil
            s.transceivers[i].receiveParameters = nil
            let sender = t.sender.flatMap { snd in s.activeSenders.contains { $0 === snd } ? snd : nil }
            let receiver = t.receiver.flatMap { r in s.activeReceivers.contains { $0 === r } ? r : nil }
            s.activeSenders.removeAll { $0 === sender }
            s.activeReceivers.removeAll { $0 === receiver }
            return (s.transport, sender, receiver, updateNegotiationNeeded(&s))
        }
        if fire { eventSink.yield(.negotiationNeeded) }
        receiver?.stop()
        if let sender { await stopSending([sender], on: transport) }
    }

    /// Stops senders that have been taken out of `activeSenders`: an RTCP BYE for each
    /// stream (RFC 3550 §6.6), then the encoder and the pipeline stream go.
    private func stopSending(_ senders: [RTCRtpSender], on transport: RTCDtlsTransport?) async {
        let byes = senders.compactMap { $0.goodbye() }
        if let transport, !byes.isEmpty {
            // Fails only when the loop is shutting down: then nothing is sent anyway.
            try? await settings.eventLoop.submit { if transport.state == .connected { for bye in byes { transport.send(bye, isRTCP: true) } } }.get()
        }
        for sender in senders { await sender.stop() }
    }

    /// WebRTC 1.0 §4.7.3, "update the negotiation-needed flag": true when the
    /// `negotiationNeeded` event is due (the flag was clear, the state is stable, and the
    /// transceivers differ from what the last exchange settled).
    private func updateNegotiationNeeded(_ s: inout State) -> Bool {
        guard !s.closed, s.signalingState == .stable else { return false }
        let needed = SessionNegotiation.isNegotiationNeeded(s.transceivers, local: s.localSDP, remote: s.remoteSDP, isOfferer: s.isOfferer)
        defer { s.negotiationNeeded = needed }
        return needed && !s.negotiationNeeded
    }

    // MARK: Offer / answer

    /// Our ICE and DTLS parameters for a description; `complete`: gathering is over, so the
    /// candidates end with `a=end-of-candidates`.
    private func localTransport(_ credentials: ICECredentials, candidates: [String], complete: Bool, setup: SetupRole?) -> LocalTransport {
        let fingerprint = certificate.fingerprint
        return LocalTransport(
            iceUfrag: credentials.ufrag, icePwd: credentials.pwd, iceOptions: ["trickle"],
            fingerprints: [SDPFingerprint(hashFunction: fingerprint.algorithm.rawValue, value: String(fingerprint.sdpValue.split(separator: " ").last ?? ""))],
            setup: setup, candidates: candidates, endOfCandidates: complete && !candidates.isEmpty)
    }

    /// Gathers candidates (once) and describes every transceiver, BUNDLEd; we are the ICE
    /// controlling agent and offer `setup:actpass` (RFC 8829 §5.2.1). A later offer keeps
    /// each section's mid and place, adds sections for new transceivers and refuses those
    /// of stopped ones (§5.2.2); `iceRestart` gives it new ICE credentials (RFC 8445 §9).
    public func createOffer(_ options: RTCOfferOptions = RTCOfferOptions()) async throws -> RTCSessionDescription {
        let agent = try await ensureAgent(role: .controlling)
        let current = try await agent.localCredentials
        return try state.withLock { s in
            guard !s.closed else { throw RTCError(.invalidStateError, "the connection is closed") }
            if options.iceRestart, s.transport != nil, s.restartCredentials == nil { s.restartCredentials = .generate() }
            let transport = localTransport(s.restartCredentials ?? current, candidates: s.localCandidates, complete: s.gatheringState == .complete, setup: nil)
            // A later offer keeps the session's payload types and extension ids.
            let numbering = EstablishedNumbering([s.localSDP, s.remoteSDP].compactMap { $0 })
            var offer = SessionNegotiation.offer(
                for: &s.transceivers, transport: transport, origin: Origin(sessionID: String(s.sessionId), sessionVersion: UInt64(s.version))
            ) { t in numbering.applied(to: settings.codecs.capabilities(for: t.kind, direction: t.direction, receiveBitrate: configuration.receiveBitrate)) }
            s.version += 1
            for i in s.transceivers.indices where i < offer.media.count && !offer.media[i].isRejected {
                SessionNegotiation.describeSources(&offer.media[i], of: s.transceivers[i], cname: configuration.cname)
            }
            return RTCSessionDescription(type: .offer, sdp: offer.sdpText)
        }
    }

    /// Answers the remote offer m-section by m-section (the SDP module's JSEP answer): the
    /// offered codecs we support on the offerer's payload types, directions from what each
    /// side wants, rejected (port 0) sections where nothing matches. The first answer is
    /// `setup:active`; a later one keeps the role of the running DTLS association (RFC 8842
    /// §5.5), and answers an ICE restart (a new remote ufrag) with new credentials.
    public func createAnswer() async throws -> RTCSessionDescription {
        guard let offer = state.withLock({ $0.signalingState == .haveRemoteOffer ? $0.remoteSDP : nil }) else {
            throw RTCError(.invalidStateError, "createAnswer needs a remote offer first")
        }
        let agent = try await ensureAgent(role: .controlled)
        let current = try await agent.localCredentials
        let remoteUfrag = try? SessionNegotiation.remoteTransport(offer).ufrag
        return state.withLock { s in
            if s.transport != nil, let remoteUfrag, let running = s.remoteICE, running.ufrag != remoteUfrag, s.restartCredentials == nil {
                s.restartCredentials = .generate()
            }
            let setup: SetupRole? = s.dtlsRole.map { $0 == .client ? .active : .passive }
            let transport = localTransport(s.restartCredentials ?? current, candidates: s.localCandidates, complete: s.gatheringState == .complete, setup: setup)
            let transceivers = s.transceivers
            var answer = offer.answer(transport: transport, origin: Origin(sessionID: String(s.sessionId), sessionVersion: UInt64(s.version))) { index, offered in
                guard index < transceivers.count, !transceivers[index].stopped,
                      RTPMediaKind(offered.kind) == transceivers[index].kind else { return nil }
                return settings.codecs.capabilities(for: transceivers[index].kind, direction: transceivers[index].direction,
                                                    receiveBitrate: configuration.receiveBitrate)
            }
            s.version += 1
            for i in answer.media.indices where i < transceivers.count && !answer.media[i].isRejected {
                SessionNegotiation.describeSources(&answer.media[i], of: transceivers[i], cname: configuration.cname)
            }
            return RTCSessionDescription(type: .answer, sdp: answer.sdpText)
        }
    }

    private static func parse(_ description: RTCSessionDescription, _ whose: String) throws -> SessionDescription {
        do { return try SessionDescription(parsing: description.sdp) } catch {
            throw RTCError(.syntaxError, "the \(whose) SDP does not parse: \(error)")
        }
    }

    /// What an offer replaced, put back by a rollback (WebRTC 1.0 §4.4.1.5-6, JSEP §4.1.10.2).
    struct Rollback {
        var transceivers: [Transceiver]
        var localDescription: RTCSessionDescription?
        var remoteDescription: RTCSessionDescription?
        var localSDP: SessionDescription?
        var remoteSDP: SessionDescription?
        var isOfferer: Bool
    }

    private static func snapshot(_ s: State) -> Rollback {
        Rollback(transceivers: s.transceivers, localDescription: s.localDescription, remoteDescription: s.remoteDescription,
                 localSDP: s.localSDP, remoteSDP: s.remoteSDP, isOfferer: s.isOfferer)
    }

    public func setLocalDescription(_ description: RTCSessionDescription) async throws {
        if description.type == .rollback { return try rollback(local: true) }
        let parsed = try Self.parse(description, "local")
        let signaling = try state.withLock { s in
            guard !s.closed else { throw RTCError(.invalidStateError, "the connection is closed") }
            guard description.type != .pranswer else { throw RTCError(.operationError, "pranswer is not supported") }
            guard let next = s.signalingState.applying(description.type, local: true) else {
                throw RTCError(.invalidStateError, description.type == .answer
                    ? "an answer needs a remote offer (signalingState is \(s.signalingState.rawValue))"
                    : "cannot set a local offer in signalingState \(s.signalingState.rawValue)")
            }
            if description.type == .offer {
                if s.signalingState == .stable { s.beforeOffer = Self.snapshot(s) }
                s.isOfferer = true
            }
            s.localDescription = description
            s.localSDP = parsed
            return signalingChange(&s, to: next)
        }
        if let signaling { eventSink.yield(.signalingStateChange(signaling)) }
        if description.type == .answer { try await applyNegotiation() }
    }

    /// Moves `signalingState` (under the lock); the new state, to announce, when it changed.
    private func signalingChange(_ s: inout State, to next: RTCSignalingState) -> RTCSignalingState? {
        guard s.signalingState != next else { return nil }
        s.signalingState = next
        if next == .stable { s.beforeOffer = nil }
        return next
    }

    /// Takes the peer's offer (its sections matched to our transceivers by mid, new ones by
    /// kind, JSEP §5.10) or answer (after which media starts, or changes).
    public func setRemoteDescription(_ description: RTCSessionDescription) async throws {
        if description.type == .rollback { return try rollback(local: false) }
        let parsed = try Self.parse(description, "remote")
        _ = try SessionNegotiation.remoteTransport(parsed)
        // WebRTC 1.0 §4.4.1.6: an offer arriving over our own (glare, the polite peer of
        // "perfect negotiation") first rolls ours back.
        if description.type == .offer, signalingState == .haveLocalOffer { try rollback(local: true) }
        let signaling = try state.withLock { s in
            guard !s.closed else { throw RTCError(.invalidStateError, "the connection is closed") }
            guard description.type != .pranswer else { throw RTCError(.operationError, "pranswer is not supported") }
            guard let next = s.signalingState.applying(description.type, local: false) else {
                throw RTCError(.invalidStateError, description.type == .answer
                    ? "an answer needs a local offer (signalingState is \(s.signalingState.rawValue))"
                    : "cannot set a remote offer in signalingState \(s.signalingState.rawValue)")
            }
            if description.type == .offer {
                if s.signalingState == .stable { s.beforeOffer = Self.snapshot(s) }
                s.isOfferer = false
                s.transceivers = try SessionNegotiation.associate(s.transceivers, with: parsed)
            }
            s.remoteSDP = parsed
            s.remoteDescription = description
            return signalingChange(&s, to: next)
        }
        if let signaling { eventSink.yield(.signalingStateChange(signaling)) }
        if description.type == .answer { try await applyNegotiation() }
    }

    /// Puts back what the pending offer replaced; the state is stable again.
    private func rollback(local: Bool) throws {
        let (signaling, fire) = try state.withLock { s in
            guard !s.closed else { throw RTCError(.invalidStateError, "the connection is closed") }
            guard s.signalingState == (local ? .haveLocalOffer : .haveRemoteOffer), let r = s.beforeOffer else {
                throw RTCError(.invalidStateError, "no \(local ? "local" : "remote") offer to roll back (signalingState is \(s.signalingState.rawValue))")
            }
            s.transceivers = SessionNegotiation.rolledBack(r.transceivers, current: s.transceivers, local: local)
            s.localDescription = r.localDescription
            s.remoteDescription = r.remoteDescription
            s.localSDP = r.localSDP
            s.remoteSDP = r.remoteSDP
            s.isOfferer = r.isOfferer
            s.restartCredentials = nil
            let change = signalingChange(&s, to: .stable)
            s.negotiationNeeded = false
            return (change, updateNegotiationNeeded(&s))
        }
        if let signaling { eventSink.yield(.signalingStateChange(signaling)) }
        if fire { eventSink.yield(.negotiationNeeded) }
    }

    /// A trickled remote candidate (`a=candidate` value or line); nil or "" ends them.
    public func addIceCandidate(_ candidate: String?) async throws {
        guard let agent = state.withLock({ $0.agent }) else { throw RTCError(.invalidStateError, "no remote description yet") }
        guard let candidate, !candidate.isEmpty else {
            try await agent.endOfRemoteCandidates()
            return
        }
        try await agent.addRemoteCandidate(sdp: candidate.hasPrefix("a=") ? candidate : "a=" + candidate)
    }
    // MARK: Transport

    private func iceConfiguration() async throws -> ICEConfiguration {
        var c = configuration.ice
        c.stunServers = configuration.stunServers
        c.transportPolicy = configuration.iceTransportPolicy
        try await ICEServerResolver.apply(configuration.iceServers, to: &c)
        if c.transportPolicy == .relay, c.turnServers.isEmpty {
            throw RTCError(.invalidAccessError, "iceTransportPolicy relay needs a TURN server (turn:HOST:PORT?transport=udp with a username and credential)")
        }
        c.restrictToAddresses = configuration.restrictToAddresses
        switch configuration.loopbackCandidates {
        case .always: c.allowLoopback = true
        case .never: c.allowLoopback = false
        case .automatic: c.allowLoopback = !Self.hasNonLoopbackInterface()
        }
        return c
    }

    /// True when some interface has an address other than loopback and link-local.
    static func hasNonLoopbackInterface() -> Bool {
        do { return try HostInterfaces.hasNonLoopbackAddress() } catch {
            Log.peerConnection.warning("cannot list the network interfaces (\(error)): offering loopback candidates")
            return false
        }
    }

    private func ensureAgent(role: ICERole) async throws -> ICEAgent {
        if let agent = state.withLock({ $0.agent }) { return agent }
        let iceConfiguration = try await iceConfiguration()
        // Resolving the servers suspended: another caller may have made the agent meanwhile.
        if let agent = state.withLock({ $0.agent }) { return agent }
        let agent = ICEAgent(role: role, configuration: iceConfiguration, eventLoop: settings.eventLoop, network: settings.network)
        state.withLock { $0.agent = agent }
        try await settings.eventLoop.submit { [weak self] in
            agent.setHandlers(
                datagram: { datagram in self?.state.withLock { $0.transport }?.receive(datagram) },
                event: { event in self?.handle(event) })
        }.get()
        let credentials = try await agent.localCredentials
        state.withLock { s in if s.localICE == nil { s.localICE = credentials } }
        gatheringChange(to: .gathering)
        // Each candidate reaches `handle` (.candidateGathered) as it is found, the host ones
        // before this returns; the end comes as .gatheringComplete.
        let completion = try await agent.startGathering()
        guard !settings.trickleGathering else {
            if state.withLock({ $0.localCandidates.isEmpty }), configuration.iceTransportPolicy == .all {
                throw RTCError(.operationError, "no ICE candidates: no usable network interface (loopback candidates are \(configuration.loopbackCandidates.rawValue))")
            }
            return agent
        }
        let report = try await completion.get()
        guard !report.candidates.isEmpty else {
            if configuration.iceTransportPolicy == .relay {
                let why = report.relayed.compactMap(\.error).map { "\($0)" }.joined(separator: "; ")
                throw RTCError(.operationError, "no relayed ICE candidate (iceTransportPolicy relay): \(why.isEmpty ? "no TURN server answered" : why)")
            }
            throw RTCError(.operationError, "no ICE candidates: no usable network interface (loopback candidates are \(configuration.loopbackCandidates.rawValue))")
        }
        return agent
    }

    /// WebRTC 1.0 §4.3.2: `new` until the first description gathers, then `gathering`, then
    /// `complete` when every STUN and TURN server has answered or timed out.
    public var iceGatheringState: RTCIceGatheringState { state.withLock { $0.gatheringState } }

    /// Waits until gathering is complete, for a caller that needs the whole `localDescription`
    /// (every candidate and `a=end-of-candidates`) under trickle gathering. Throws on
    /// `timeout` (real time) or when the connection closes first.
    public func waitForGatheringComplete(timeout: Duration = .seconds(15)) async throws {
        try await wait(on: \.gatheringWaiters, timeout: timeout, expired: "ICE gathering did not complete in \(timeout)") { s in
            if s.gatheringState == .complete { return .success(()) }
            if s.closed { return .failure(RTCError(.invalidStateError, "the connection was closed")) }
            return nil
        }
    }

    /// Moves `iceGatheringState` and announces it; at `complete` the end of candidates too,
    /// and the waiters go on.
    private func gatheringChange(to next: RTCIceGatheringState) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, any Error>]? in
            guard s.gatheringState != next else { return nil }
            s.gatheringState = next
            guard next == .complete else { return [] }
            if var local = s.localSDP, let type = s.localDescription?.type {
                SessionNegotiation.addCandidates([], endOfCandidates: true, to: &local)
                s.localSDP = local
                s.localDescription = RTCSessionDescription(type: type, sdp: local.sdpText)
            }
            return s.gatheringWaiters.takeAll()
        }
        guard let waiters else { return }
        eventSink.yield(.iceGatheringStateChange(next))
        if next == .complete { eventSink.yield(.iceCandidate(nil)) }
        for w in waiters { w.resume() }
    }

    /// A local candidate: kept for the descriptions to come, added to the current one
    /// (`localDescription` carries every candidate gathered so far) and announced. On the loop.
    private func gathered(_ candidate: ICECandidate) {
        let attribute = candidate.sdpAttribute
        let line = attribute.hasPrefix("candidate:") ? String(attribute.dropFirst(10)) : attribute
        let new = state.withLock { s -> Bool in
            guard !s.localCandidates.contains(line) else { return false }
            s.localCandidates.append(line)
            if var local = s.localSDP, let type = s.localDescription?.type {
                SessionNegotiation.addCandidates([line], endOfCandidates: false, to: &local)
                s.localSDP = local
                s.localDescription = RTCSessionDescription(type: type, sdp: local.sdpText)
            }
            return true
        }
        if new { eventSink.yield(.iceCandidate("candidate:" + line)) }
    }

    /// ICE events, on the event loop: a selected pair starts DTLS (once), states feed
    /// `connectionState`.
    private func handle(_ event: ICEEvent) {
        switch event {
        case .candidateGathered(let candidate):
            gathered(candidate)
        case .gatheringComplete:
            gatheringChange(to: .complete)
        case .stateChanged(let ice):
            let never = state.withLock { s -> Bool in
                s.iceState = ice
                if ice == .failed, s.failure == nil {
                    s.failure = s.transport?.state == .connected || s.transport?.state == .closed
                        ? "ICE failed: the peer stopped answering connectivity checks"
                        : "ICE found no working candidate pair"
                }
                return s.transport?.state == .new
            }
            if ice == .connected, never { startDTLS() }
            updateConnectionState()
        case .selectedPairChanged(let pair):
            let start = state.withLock { s -> Bool in
                s.selectedPair = pair
                return s.transport?.state == .new
            }
            if start { startDTLS() }
        case .consentExpired:
            // Before the `failed` state it causes, so the failure says why (RFC 7675).
            state.withLock { s in if s.failure == nil { s.failure = event.failureReason } }
        default:
            break
        }
    }

    /// ICE has a pair: the DTLS handshake begins on it. On the event loop.
    private func startDTLS() {
        guard let transport = state.withLock({ $0.transport }), transport.state == .new else { return }
        transport.start()
    }

    /// DTLS is connected: the senders start and the RTCP tick begins. On the event loop.
    private func startMedia(_ transport: RTCDtlsTransport) {
        let (senders, media) = state.withLock { s in
            (s.transceivers.compactMap { t in t.sender.flatMap { snd in t.sendParameters.map { (snd, $0) } } }, s.media)
        }
        guard let media else { return }
        startSenders(senders, on: media)
        startRTCPTimer(transport)
    }

    /// Whether the receivers' RTCP timer is armed (for tests).
    var isRTCPTimerArmed: Bool { state.withLock { $0.rtcpTimer != nil } }

    /// Arms the receivers' RTCP timer for a first poll 20 ms from now, if something receives.
    /// A send-only connection has no timer. On the event loop.
    private func startRTCPTimer(_ transport: RTCDtlsTransport) {
        armRTCPTimer(transport, at: clock.now() + .milliseconds(20))
    }

    /// Arms the receivers' RTCP timer at `deadline` (never sooner than 1 ms from now, so a
    /// deadline that is due cannot spin a simulated clock) unless it is armed earlier; only
    /// while something receives. Polling when something is due, instead of every 20 ms, left
    /// a receiving loop asleep between packets (50 wake-ups a second fewer on a clean link).
    /// On the event loop.
    private func armRTCPTimer(_ transport: RTCDtlsTransport, at deadline: Duration) {
        let at = max(deadline, clock.now() + .milliseconds(1))
        state.withLock { s in
            guard !s.closed, !s.activeReceivers.isEmpty else { return }
            if let armed = s.rtcpTimerDeadline, armed <= at { return }
            s.rtcpTimer?.cancel()
            s.rtcpTimerDeadline = at
            s.rtcpTimer = settings.eventLoop.scheduleTask(deadline: .uptimeNanoseconds(MediaTransport.nanosecondsRoundedUp(at))) { [weak self] in
                self?.rtcpTimerFired(transport, at)
            }
        }
    }

    /// Starts senders on the running pipeline (when DTLS connects, or when a renegotiation
    /// adds one), then gives the estimator its new bounds and the senders their shares. On the
    /// event loop.
    private func startSenders(_ senders: [(RTCRtpSender, RTPStreamParameters)], on media: MediaTransport) {
        for (sender, parameters) in senders where !sender.isSending {
            guard let codec = settings.codecs.codec(for: parameters) else {
                Log.peerConnection.warning("cannot send the \(sender.kind) track: \(parameters.codecName) is not a registered codec")
                continue
            }
            do {
                try sender.start(parameters: parameters, codec: codec, media: media, clock: clock, inline: settings.encodesOnEventLoop,
                                 encodeTimeModel: settings.simulatedVideoEncodeTime)
                state.withLock { s in if !s.activeSenders.contains(where: { $0 === sender }) { s.activeSenders.append(sender) } }
            } catch {
                Log.peerConnection.warning("cannot send the \(sender.kind) track: \(error)")
            }
        }
        // The estimator never aims above what the streams can use (libwebrtc's max from
        // the encoders), nor below what keeps a picture.
        let maximum = state.withLock { $0.activeSenders }.compactMap(\.wireMaximum).reduce(0, +)
        if maximum > 0 {
            let c = BitrateConstraints()
            media.setConstraints(BitrateConstraints(minimum: c.minimum, start: min(c.start, maximum), maximum: max(maximum, c.minimum)))
        }
        allocate(media.statistics.target)
        media.flush()
    }

    /// What one exchange changed for the streams, found under the lock and acted on after it.
    private struct StreamChanges {
        var start: [(RTCRtpSender, RTPStreamParameters)] = []
        var stop: [RTCRtpSender] = []
        var newReceivers: [(RTCRtpReceiver, String?)] = []
        var endedReceivers: [RTCRtpReceiver] = []
    }

    /// Both descriptions of an exchange are known: negotiate each m-section. The first
    /// exchange makes receivers, connects ICE and runs DTLS, after which the senders start; a
    /// later one (renegotiation) starts and stops senders and receivers on the running
    /// transport, and restarts ICE when either side's credentials changed (RFC 8445 §9).
    private func applyNegotiation() async throws {
        let (agent, local, remote, isOfferer, existing) = try state.withLock { s throws in
            guard let agent = s.agent, let local = s.localSDP, let remote = s.remoteSDP else {
                throw RTCError(.invalidStateError, "negotiation is incomplete")
            }
            return (agent, local, remote, s.isOfferer, s.transport)
        }
        let negotiated: [NegotiatedMedia]
        do {
            negotiated = isOfferer ? try local.negotiated(withAnswer: remote) : try local.negotiated(answering: remote)
        } catch {
            throw RTCError(.invalidAccessError, "the answer does not fit the offer: \(error)")
        }
        let peer = try SessionNegotiation.remoteTransport(remote)
        let transport: RTCDtlsTransport
        if let existing {
            transport = existing
        } else {
            // DTLS roles (RFC 5763 §5): `active` starts the handshake.
            let setup = negotiated.first { !$0.isRejected }?.localSetup ?? (isOfferer ? .passive : .active)
            let role: DTLSRole = setup == .active ? .client : .server
            let fingerprint: DTLSFingerprint
            do { fingerprint = try DTLSFingerprint(sdp: peer.fingerprint) } catch {
                throw RTCError(.invalidAccessError, "the remote a=fingerprint is unusable: \(error)")
            }
            var dtlsConfiguration = DTLSConfiguration()
            if settings.simulatedTime {
                // OpenSSL's timer reads the real clock: the loop's (simulated) timer decides.
                dtlsConfiguration.callerClocksRetransmissions = true
            }
            let dtls = try DTLSTransport(role: role, certificate: certificate, remoteFingerprint: fingerprint, configuration: dtlsConfiguration)
            transport = RTCDtlsTransport(ice: agent, dtls: dtls, eventLoop: settings.eventLoop, simulatedTime: settings.simulatedTime)
            state.withLock { $0.dtlsRole = role }
        }

        let (changes, restart, media) = state.withLock { s in
            let changes = streamChanges(&s, negotiated)
            if existing == nil {
                s.transport = transport
                s.media = makeMediaTransport(s.transceivers, dtls: transport)
            }
            defer { s.restartCredentials = nil }
            return (changes, s.restartCredentials, s.media)
        }
        if existing == nil, !settings.encodesOnEventLoop {
            // The encoders open while ICE and DTLS connect, from before the agent has the
            // peer's credentials (not in simulated time, where the loop encodes and a real
            // thread would not keep time).
            for (sender, parameters) in changes.start {
                if let codec = settings.codecs.codec(for: parameters) { sender.openEncoderAhead(parameters: parameters, codec: codec) }
            }
        }
        for r in changes.endedReceivers {
            r.stop()
            eventSink.yield(.remoteEnded(r))
        }
        for (receiver, mid) in changes.newReceivers { eventSink.yield(.track(receiver, mid: mid)) }

        if existing == nil {
            transport.setHandlers(.init(
                rtp: { [weak self] packet in self?.route(rtp: packet) },
                rtcp: { [weak self] packet in self?.route(rtcp: packet) },
                unprotectFailed: { [weak self] packet, isRTCP in self?.unprotectFailed(packet, isRTCP: isRTCP) },
                stateChanged: { [weak self] new in
                    guard let self else { return }
                    switch new {
                    case .connected: self.startMedia(transport)
                    case .failed:
                        let reason = transport.failure.map { "DTLS handshake failed: \($0)" } ?? "DTLS handshake failed"
                        self.state.withLock { s in if s.failure == nil { s.failure = reason } }
                    default: break
                    }
                    self.updateConnectionState()
                }))
        }
        if let restart {
            try await agent.restart(localCredentials: restart)
            state.withLock { $0.localICE = restart }
            Log.peerConnection.info("ICE restart: new local credentials \(restart.ufrag)")
        }
        let remoteICE = ICECredentials(ufrag: peer.ufrag, pwd: peer.pwd)
        if state.withLock({ s in defer { s.remoteICE = remoteICE }; return s.remoteICE != remoteICE }) {
            try await agent.setRemoteCredentials(remoteICE)
            for c in peer.candidates {
                // One candidate the agent cannot use (a TCP or mDNS one, RFC 8445 §5.1.1) must not
                // spoil the others: skipped, and said.
                do { try await agent.addRemoteCandidate(sdp: "a=candidate:" + (c.hasPrefix("candidate:") ? String(c.dropFirst(10)) : c)) } catch {
                    Log.peerConnection.notice("remote candidate skipped (\(error)): \(c)")
                }
            }
            if peer.endOfCandidates {
                do { try await agent.endOfRemoteCandidates() } catch { Log.peerConnection.debug("end-of-candidates not taken: \(error)") }
            }
        }
        if existing == nil {
            // ICE may have selected a pair already (the peer's checks came first).
            try await settings.eventLoop.submit { [self] in
                if agent.selectedPairOnEventLoop != nil { startDTLS() }
            }.get()
        } else {
            await stopSending(changes.stop, on: transport)
            if let media, !changes.start.isEmpty || !changes.newReceivers.isEmpty {
                // Before DTLS connects, `startMedia` starts them.
                try await settings.eventLoop.submit { [self] in
                    guard transport.state == .connected else { return }
                    if !changes.start.isEmpty { startSenders(changes.start, on: media) }
                    startRTCPTimer(transport)
                }.get()
            }
        }
        updateConnectionState()
        let fire = state.withLock { s in
            s.negotiationNeeded = false
            return updateNegotiationNeeded(&s)
        }
        if fire { eventSink.yield(.negotiationNeeded) }
    }

    /// Settles each transceiver with its negotiated section (found by mid): its current
    /// direction, send and receive parameters, a receiver where it newly receives, and what
    /// must start or stop. Under the lock.
    private func streamChanges(_ s: inout State, _ negotiated: [NegotiatedMedia]) -> StreamChanges {
        var changes = StreamChanges()
        for i in s.transceivers.indices {
            let t = s.transceivers[i]
            guard let n = negotiated.first(where: { $0.mid != nil && $0.mid == t.mid }) ?? (i < negotiated.count && negotiated[i].mid == nil ? negotiated[i] : nil)
            else { continue }  // added after the offer: the next one carries it
            s.transceivers[i].negotiated = true
            let sending = t.sender.flatMap { snd in s.activeSenders.contains { $0 === snd } || t.sendParameters != nil ? snd : nil }
            let receiving = t.receiver.flatMap { r in s.activeReceivers.contains { $0 === r } ? r : nil }
            if t.stopped || n.isRejected {
                // Stopped here, or refused by the peer (RFC 8829 §5.3.1: a section it will not take).
                s.transceivers[i].stopped = true
                s.transceivers[i].currentDirection = nil
                s.transceivers[i].sendParameters = nil
                s.transceivers[i].receiveParameters = nil
                if let sending { changes.stop.append(sending) }
                if let receiving { changes.endedReceivers.append(receiving) }
                continue
            }
            let direction = RTCRtpTransceiverDirection(sends: n.direction.sends && t.sender != nil, receives: n.direction.receives)
            s.transceivers[i].currentDirection = direction
            if direction.sends, let sender = t.sender {
                if t.sendParameters == nil, let p = SessionNegotiation.parameters(n, ssrc: t.ssrc, rtxSSRC: t.rtxSSRC, cname: configuration.cname) {
                    s.transceivers[i].sendParameters = p
                    s.transceivers[i].hasSent = true
                    changes.start.append((sender, p))
                }
            } else if let sending {
                s.transceivers[i].sendParameters = nil
                changes.stop.append(sending)
            }
            if direction.receives {
                if receiving == nil {
                    let sources = SessionNegotiation.remoteSources(n)
                    if let p = SessionNegotiation.parameters(n, ssrc: sources.ssrc ?? 0, rtxSSRC: sources.rtx, cname: configuration.cname) {
                        let receiver = RTCRtpReceiver(parameters: p, localSSRC: t.ssrc, trackId: n.remoteMsid?.trackID, clock: clock,
                                                      codecs: settings.codecs, decodesInline: settings.encodesOnEventLoop)
                        s.transceivers[i].receiveParameters = p
                        s.transceivers[i].receiver = receiver
                        s.activeReceivers.append(receiver)
                        changes.newReceivers.append((receiver, t.mid))
                    }
                }
            } else if let receiving {
                s.transceivers[i].receiveParameters = nil
                changes.endedReceivers.append(receiving)
            }
        }
        let stopping = changes.stop
        s.activeSenders.removeAll { snd in stopping.contains { $0 === snd } }
        let ended = changes.endedReceivers
        s.activeReceivers.removeAll { r in ended.contains { $0 === r } }
        return changes
    }

    /// The pipeline of the negotiated streams (both directions share the one transport).
    private func makeMediaTransport(_ transceivers: [Transceiver], dtls: RTCDtlsTransport) -> MediaTransport {
        let streams = transceivers.flatMap { [$0.sendParameters, $0.receiveParameters].compactMap { $0 } }
        let rtcpSSRC = transceivers.first?.ssrc ?? .random(in: 1 ... .max)
        let config = SessionNegotiation.pipeline(
            settings.codecs.stages, streams: streams, receiving: transceivers.lazy.compactMap(\.receiveParameters).first, rtcpSSRC: rtcpSSRC,
            receiveBitrate: configuration.receiveBitrate, ntpTimeAtZero: clock.ntpNow() &- NTPTime.timestamp(clock.now()))
        return MediaTransport(configuration: config, dtls: dtls, clock: clock) { [weak self] event in
            self?.handle(event)
        }
    }
    /// The pipeline's events, on the event loop: a new target is split among the senders;
    /// a keyframe request (already rate-limited) goes to the stream's encoder.
    private func handle(_ event: RTPTransportEvent) {
        switch event {
        case .targetChanged(let target):
            allocate(target)
        case .keyframeRequested(let ssrc, _):
            let senders = state.withLock { $0.activeSenders }
            senders.first { $0.ssrc == ssrc }?.requestKeyframe()
        }
    }

    private func allocate(_ target: TargetTransferRate) {
        let (senders, previous) = state.withLock { s in
            defer { s.target = target }
            return (s.activeSenders, s.target)
        }
        if Log.rtp.logLevel <= .debug, Self.worthLogging(target, after: previous) {
            Log.rtp.debug("target \(target.targetBitrate / 1000) kbit/s (estimate \(target.bandwidthEstimate / 1000), limited by \(target.limitedBy), loss \(Int(target.lossRate * 1000) / 10) %, RTT \(target.roundTripTime.map { "\($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) ms" } ?? "unknown"))")
        }
        let streams = senders.map { BitrateAllocation.Stream(isAudio: $0.isAudio, maximum: $0.wireMaximum ?? 0) }
        let shares = BitrateAllocation.allocate(target.targetBitrate, to: streams)
        for (sender, share) in zip(senders, shares) { sender.setTargetBitrate(wire: share) }
    }

    /// A target worth a debug line: the first, a move of a fifth or more, or the congestion
    /// window or a probe taking over or letting go (targets change every feedback, and the
    /// delay and loss limits trade places at equal values: the log shows the steps).
    private static func worthLogging(_ target: TargetTransferRate, after previous: TargetTransferRate?) -> Bool {
        guard let previous else { return true }
        let notable: Set<BandwidthLimit> = [.congestionWindow, .probing, .remb, .configuration]
        if previous.limitedBy != target.limitedBy, notable.contains(previous.limitedBy) || notable.contains(target.limitedBy) { return true }
        let ratio = Double(target.targetBitrate) / Double(max(1, previous.targetBitrate))
        return ratio >= 1.2 || ratio <= 0.8
    }

    /// The receivers' NACK, PLI and RR that are due, and once a second the lip sync of the
    /// playing audio with the first video; then the timer again at the earliest deadline
    /// (none when the last receiver ended: a new one arms it). On the event loop.
    private func rtcpTimerFired(_ transport: RTCDtlsTransport, _ deadline: Duration) {
        rtcpPolls.add(1, ordering: .relaxed)
        let now = clock.now()
        let (receivers, lipSync) = state.withLock { s -> ([RTCRtpReceiver], (due: Bool, next: Duration)?) in
            if s.rtcpTimerDeadline == deadline {
                s.rtcpTimer = nil
                s.rtcpTimerDeadline = nil
            }
            guard !s.closed else { return ([], nil) }
            let receivers = s.activeReceivers
            guard receivers.contains(where: { $0.kind == .video }), receivers.contains(where: { $0.kind == .audio }) else { return (receivers, nil) }
            let last = s.lastLipSyncAt ?? now
            let due = now - last >= .seconds(1)
            if due || s.lastLipSyncAt == nil { s.lastLipSyncAt = now }
            return (receivers, (due, (due ? now : last) + .seconds(1)))
        }
        var next = lipSync?.next
        for r in receivers {
            let (packets, deadline) = r.poll()
            for packet in packets {
                if Log.rtp.logLevel <= .debug { RTCPFeedbackLog.log(packet, sent: true) }
                transport.send(packet, isRTCP: true)
            }
            if let deadline { next = min(next ?? deadline, deadline) }
        }
        if lipSync?.due == true, let video = receivers.first(where: { $0.kind == .video }) {
            for audio in receivers where audio.kind == .audio { audio.synchronize(with: video) }
        }
        if let next { armRTCPTimer(transport, at: next) }
    }

    /// An SRTP/SRTCP packet that failed authentication: counted by the transport, and by the
    /// receiver of its SSRC (the RTP header and the SRTCP sender SSRC are in the clear,
    /// RFC 3711 §3.1, §3.4).
    private func unprotectFailed(_ packet: [UInt8], isRTCP: Bool) {
        guard !isRTCP else { return }
        let ssrc: UInt32
        do { ssrc = try RTPHeader.parse(protected: packet).ssrc } catch { return }  // counted by the transport
        let receivers = state.withLock { $0.activeReceivers }
        receivers.first { $0.ssrc == ssrc && ssrc != 0 }?.unprotectFailed()
    }

    private func route(rtp packet: [UInt8]) {
        let header: RTPHeader
        do { header = try RTPHeader.parse(packet) } catch {
            state.withLock { $0.undecodableRTP += 1 }
            Log.rtp.debug("dropped an RTP packet that does not parse (\(packet.count) bytes): \(error)")
            return
        }
        let pt = header.payloadType, ssrc = header.ssrc
        let (receivers, media, transport) = state.withLock { ($0.activeReceivers, $0.media, $0.transport) }
        media?.receivedRTP(packet, header: header)
        if let r = receivers.first(where: { $0.accepts(ssrc: ssrc, payloadType: pt) }) {
            if let deadline = r.receive(packet), let transport { armRTCPTimer(transport, at: deadline) }
        } else {
            let first = state.withLock { s in
                s.unroutableRTP += 1
                return s.unroutableRTP == 1
            }
            // The first at debug (a peer sending a stream we did not negotiate), the rest at trace.
            Log.rtp.log(level: first ? .debug : .trace, "dropped RTP of SSRC \(ssrc), payload type \(pt): no receiver takes it")
        }
    }

    private func route(rtcp packet: [UInt8]) {
        let packets: [RTCPPacket]
        do { packets = try RTCPPacket.parseCompound(packet) } catch {
            state.withLock { $0.undecodableRTCP += 1 }
            Log.rtp.debug("dropped an RTCP packet that does not parse (\(packet.count) bytes): \(error)")
            return
        }
        if Log.rtp.logLevel <= .debug { RTCPFeedbackLog.log(packets, sent: false) }
        let (media, receivers) = state.withLock { s in (s.media, s.activeReceivers) }
        for r in receivers { r.handleRTCP(packets) }
        for case .goodbye(let bye) in packets {
            for r in receivers where bye.ssrcs.contains(r.ssrc) {
                // Out of the routing, so that the exchange that follows a removed track does
                // not end it twice.
                let first = state.withLock { s in
                    guard s.activeReceivers.contains(where: { $0 === r }) else { return false }
                    s.activeReceivers.removeAll { $0 === r }
                    return true
                }
                guard first else { continue }
                r.stop()
                eventSink.yield(.remoteEnded(r))
            }
        }
        media?.handleRTCP(packets)
    }

    private func updateConnectionState() {
        let (changed, new) = state.withLock { s -> (Bool, RTCPeerConnectionState) in
            let dtls = s.transport?.state
            let new: RTCPeerConnectionState
            if s.closed { new = .closed }
            else if s.iceState == .failed || dtls == .failed { new = .failed }
            else if s.iceState == .disconnected { new = .disconnected }
            else if dtls == .closed { new = .closed }
            else if dtls == .connected { new = .connected }
            else if s.iceState == .checking || s.iceState == .connected || dtls == .connecting { new = .connecting }
            else { new = s.connectionState }
            defer { s.connectionState = new }
            return (new != s.connectionState, new)
        }
        guard changed else { return }
        if new == .failed {
            Log.peerConnection.notice("connection failed: \(failureReason ?? "ICE or DTLS failed")")
        } else {
            Log.peerConnection.debug("connection state \(new.rawValue)")
        }
        eventSink.yield(.connectionStateChange(new))
        resumeConnectionWaiters()
    }

    private func resumeConnectionWaiters() {
        let (waiters, result) = state.withLock { s -> ([CheckedContinuation<Void, any Error>], Result<Void, any Error>?) in
            guard let result = Self.connectionResult(s) else { return ([], nil) }
            return (s.connectionWaiters.takeAll(), result)
        }
        guard let result else { return }
        for w in waiters { w.resume(with: result) }
    }

    /// Waits for `connected`; throws on failure, closure or timeout (on the real clock: a
    /// simulated call advances its loop instead and reads `connectionState`).
    public func waitUntilConnected(timeout: Duration = .seconds(15)) async throws {
        try await wait(on: \.connectionWaiters, timeout: timeout, expired: "not connected after \(timeout)", until: Self.connectionResult)
    }

    /// What a wait for `connected` ends with in this state (nil: not yet).
    private static func connectionResult(_ s: State) -> Result<Void, any Error>? {
        switch s.connectionState {
        case .connected: .success(())
        case .failed: .failure(RTCError(.operationError, "the connection failed: \(s.failure ?? "ICE or DTLS")"))
        case .closed: .failure(RTCError(.invalidStateError, "the connection was closed"))
        default: nil
        }
    }

    /// Waits until `until` gives a result for the state (checked now, then by whoever changes
    /// it and resumes `waiters`), or `timeout` passes on the real clock. Cancellable: the
    /// timeout ends the group, and a group waits for its tasks; a waiter resumed only by the
    /// state it waits for kept `tincan call` waiting while ICE went on checking (a TURN
    /// allocation the server had dropped: the NAT test found it), long past the timeout.
    private func wait(on waiters: WritableKeyPath<State, ContinuationWaiters> & Sendable, timeout: Duration, expired: String,
                      until: @escaping @Sendable (State) -> Result<Void, any Error>?) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                let id = state.withLock { $0[keyPath: waiters].newID() }
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                        let result = state.withLock { s -> Result<Void, any Error>? in
                            if let result = until(s) { return result }
                            return s[keyPath: waiters].keep(c, id: id) ? nil : .failure(CancellationError())
                        }
                        if let result { c.resume(with: result) }
                    }
                } onCancel: {
                    let waiter = state.withLock { $0[keyPath: waiters].cancel(id) }
                    waiter?.resume(throwing: CancellationError())
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw RTCError(.operationError, expired)
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// Ends the call: RTCP BYE for our streams, DTLS close_notify, ICE closed, encoders stopped.
    public func close() async {
        let (already, transceivers, transport, agent, timer, media, gatheringWaiters) = state.withLock { s in
            defer { s.closed = true; s.rtcpTimer = nil; s.rtcpTimerDeadline = nil; s.signalingState = .closed }
            return (s.closed, s.transceivers, s.transport, s.agent, s.rtcpTimer, s.media, s.gatheringWaiters.takeAll())
        }
        guard !already else { return }
        for w in gatheringWaiters { w.resume(throwing: RTCError(.invalidStateError, "the connection was closed")) }
        // WebRTC 1.0 §4.4.1.2 (close): signalingState becomes "closed" without an event.
        if let transport {
            let byes = transceivers.compactMap { $0.sender?.goodbye() }
            try? await settings.eventLoop.submit {
                // On the loop: a scheduled task is cancelled where it runs.
                timer?.cancel()
                if transport.state == .connected { for bye in byes { transport.send(bye, isRTCP: true) } }
            }.get()
        } else {
            timer?.cancel()
        }
        for t in transceivers {
            await t.sender?.stop()
            t.receiver?.stop()
        }
        // These fail only when the loop is already shut down: nothing is left to close then.
        if let media { try? await settings.eventLoop.submit { media.close() }.get() }
        if let transport { try? await settings.eventLoop.submit { transport.close() }.get() }
        do { try await agent?.close() } catch { Log.peerConnection.debug("closing ICE: \(error)") }
        updateConnectionState()
        resumeConnectionWaiters()
        eventSink.finish()
    }

    // MARK: Stats (internal access for RTCStatsReport)

    struct Snapshot {
        var transceivers: [Transceiver]
        var transport: RTCDtlsTransport?
        var media: MediaTransport.Statistics?
        var selectedPair: ICECandidatePair?
        var iceState: ICEConnectionState
        /// Clear packets dropped before any receiver (see `State`), and what ICE refused.
        var undecodableRTP: Int64 = 0
        var unroutableRTP: Int64 = 0
        var undecodableRTCP: Int64 = 0
        var ice = ICEAgentCounters()
        /// The ICE username fragment in use (a restart changes it).
        var localUfrag: String?
    }

    var snapshot: Snapshot {
        let (snapshot, media, agent) = state.withLock { s in
            (Snapshot(transceivers: s.transceivers, transport: s.transport, selectedPair: s.selectedPair, iceState: s.iceState,
                      undecodableRTP: s.undecodableRTP, unroutableRTP: s.unroutableRTP, undecodableRTCP: s.undecodableRTCP,
                      localUfrag: s.localICE?.ufrag),
             s.media, s.agent)
        }
        var result = snapshot
        result.media = media?.statistics
        if let agent { result.ice = agent.counters }
        return result
    }
}

/// Continuations waiting for the connection to reach a state (`waitUntilConnected`,
/// `waitForGatheringComplete`), by id, so that a cancelled one is found; one cancelled before
/// it was kept is remembered and refused.
private struct ContinuationWaiters {
    private var waiting: [Int: CheckedContinuation<Void, any Error>] = [:]
    private var next = 0
    private var cancelledEarly: Set<Int> = []

    mutating func newID() -> Int {
        defer { next += 1 }
        return next
    }

    /// False when the waiter was cancelled before it came.
    mutating func keep(_ c: CheckedContinuation<Void, any Error>, id: Int) -> Bool {
        if cancelledEarly.remove(id) != nil { return false }
        waiting[id] = c
        return true
    }

    /// The waiter to resume with the cancellation, or nil when it has not come yet.
    mutating func cancel(_ id: Int) -> CheckedContinuation<Void, any Error>? {
        if let c = waiting.removeValue(forKey: id) { return c }
        cancelledEarly.insert(id)
        return nil
    }

    mutating func takeAll() -> [CheckedContinuation<Void, any Error>] {
        defer { waiting = [:] }
        return Array(waiting.values)
    }
}
