import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization

/// A peer of a room on a `tincan-signal` server (signaling/PROTOCOL.md), over WebSocket.
///
/// As an `OfferExchange` it joins as `offerer`, waits until another peer is in the room,
/// sends the offer and returns the answer. As an `OfferAnswering` it joins as `answerer`
/// and waits for the offer. `byes` yields the other peer's `bye` (the end of the call);
/// `candidates` yields the candidates the other peer trickles, and an empty candidate for its
/// `end-of-candidates` (as a browser's null candidate). As a `CandidateTrickling` it sends
/// this side's candidates after its offer or answer (RFC 8838 §4).
public final class RoomClient: OfferExchange, OfferAnswering, CandidateTrickling, Sendable {
    /// A `bye` from the other peer.
    public struct RemoteBye: Sendable, Equatable {
        public var from: String?
        public var reason: String?
    }

    /// What the server said on `joined`.
    public struct JoinedRoom: Sendable, Equatable {
        public var id: String
        public var peers: [PeerInfo]
    }

    public let url: String
    public let room: String
    public let token: String?
    /// How long each wait (join, the other peer, the offer, the answer) may take; nil: no limit.
    public let timeout: Duration?
    public let byes: AsyncStream<RemoteBye>
    public let candidates: AsyncStream<IceCandidateInit>

    private let logger: Logger
    private let byeSink: AsyncStream<RemoteBye>.Continuation
    private let candidateSink: AsyncStream<IceCandidateInit>.Continuation
    private let joinedBox = Mailbox<JoinedRoom>()
    private let peerArrivals = Mailbox<PeerInfo>()
    private let offers = Mailbox<String>()
    private let answers = Mailbox<String>()
    private let closedBox = Mailbox<Void>()

    private struct State {
        var outgoing: AsyncStream<SignalMessage>.Continuation?
        var connection: Task<Void, Never>?
        var joined: JoinedRoom?
        var joining = false
        var role: PeerRole = .any
        var ended: SignalingError?
        var joinFailure: (any Error)?
        var others: [PeerInfo] = []
        var closed = false
        /// Trickle: what waits for this side's description, and what that description carried.
        var trickleOpen = false
        var heldTrickle: [TrickleItem] = []
        var sentDescription: TrickleICEFragment.DescriptionIdentity?
        var trickleCounts = TrickleCounts()
        /// After the first exchange: later offers and answers go here, in order.
        var renegotiation: AsyncStream<RemoteDescription>.Continuation?
    }
    /// One local candidate (`candidate:...`) or the end of them, on its way to the room.
    private enum TrickleItem: Sendable {
        case candidate(String)
        case end
    }
    private let state = Mutex(State())

    /// - Parameters:
    ///   - url: the server, `ws://HOST:PORT` (the `/ws` path is added when there is no
    ///     path; `http(s)://` means `ws(s)://`).
    ///   - token: the server's token, when it was started with `--token`.
    public init(url: String, room: String, token: String? = nil, timeout: Duration? = nil,
                logger: Logger = Logger(label: "tincan.signaling", factory: { _ in SwiftLogNoOpLogHandler() })) throws {
        self.url = try Self.webSocketURL(url)
        self.room = room
        self.token = token
        self.timeout = timeout
        self.logger = logger
        (byes, byeSink) = AsyncStream<RemoteBye>.makeStream()
        (candidates, candidateSink) = AsyncStream<IceCandidateInit>.makeStream()
    }

    /// `ws://host:port` -> `ws://host:port/ws`; `http` -> `ws`, `https` -> `wss`.
    static func webSocketURL(_ text: String) throws -> String {
        guard var c = URLComponents(string: text), let scheme = c.scheme?.lowercased(), c.host?.isEmpty == false else {
            throw SignalingError.badAddress("\"\(text)\": expected ws://HOST:PORT (or wss://, http://, https://)")
        }
        switch scheme {
        case "ws", "wss": break
        case "http": c.scheme = "ws"
        case "https": c.scheme = "wss"
        default: throw SignalingError.badAddress("\"\(text)\": the scheme must be ws, wss, http or https")
        }
        if c.path.isEmpty || c.path == "/" { c.path = "/ws" }
        guard let result = c.string else { throw SignalingError.badAddress("\"\(text)\"") }
        return result
    }

    /// Connects and joins the room in `role`; returns the peers already there.
    @discardableResult
    public func join(role: PeerRole) async throws -> JoinedRoom {
        let alreadyJoined: JoinedRoom? = try state.withLock { s in
            if s.closed { throw SignalingError.misuse("this RoomClient was closed") }
            if let joined = s.joined { return joined }
            if s.joining { throw SignalingError.misuse("join is already in progress") }
            if let failure = s.joinFailure { throw failure }
            s.joining = true
            s.role = role
            return nil
        }
        if let alreadyJoined { return alreadyJoined }
        connect()
        do {
            try send(.join(room: room, token: token, role: role))
            let joined = try await joinedBox.receive(timeout: timeout, "joining room \(room) at \(url)")
            state.withLock { $0.joined = joined; $0.joining = false }
            return joined
        } catch {
            // One connection per client: a failed join stays failed (the mailboxes are too).
            state.withLock { $0.joining = false; $0.joinFailure = error }
            throw error
        }
    }

    /// Waits until another peer is in the room and returns it.
    public func waitForPeer() async throws -> PeerInfo {
        if let first = state.withLock({ $0.others.first }) { return first }
        return try await peerArrivals.receive(timeout: timeout, "another peer to join room \(room)")
    }

    public func exchange(offer: String) async throws -> String {
        try await join(role: .offerer)
        _ = try await waitForPeer()
        try sendDescription(.offer(sdp: offer, from: nil), sdp: offer)
        return try await answers.receive(timeout: timeout, "the answer in room \(room)")
    }

    public func receiveOffer() async throws -> String {
        try await join(role: .answerer)
        return try await offers.receive(timeout: timeout, "an offer in room \(room)")
    }

    /// An offer or answer the other peer sent after the first exchange (renegotiation).
    public struct RemoteDescription: Sendable, Equatable {
        public enum Kind: String, Sendable { case offer, answer }
        public var kind: Kind
        public var sdp: String
    }

    /// From now on, the other peer's offers and answers, in the order they came, for a
    /// connection that renegotiates ("perfect negotiation": either side may offer at any
    /// time). Call once the first exchange is done; `receiveOffer` and `exchange` take
    /// nothing more.
    public func renegotiations() -> AsyncStream<RemoteDescription> {
        let (stream, sink) = AsyncStream<RemoteDescription>.makeStream()
        state.withLock { s in
            s.renegotiation?.finish()
            s.renegotiation = s.closed ? nil : sink
        }
        if state.withLock({ $0.closed }) { sink.finish() }
        return stream
    }

    /// A later offer of ours (renegotiation), after the first exchange.
    public func sendOffer(_ sdp: String) throws {
        guard state.withLock({ $0.joined != nil }) else { throw SignalingError.misuse("sendOffer before joining the room") }
        try sendDescription(.offer(sdp: sdp, from: nil), sdp: sdp)
    }

    public func sendAnswer(_ sdp: String) async throws {
        guard state.withLock({ $0.joined != nil }) else {
            throw SignalingError.misuse("sendAnswer before receiveOffer: join the room first")
        }
        try sendDescription(.answer(sdp: sdp, from: nil), sdp: sdp)
    }

    /// Sends one candidate to the other peer now, as it is (no waiting for the description:
    /// `trickle(candidate:)` does that).
    public func send(candidate: IceCandidateInit) throws {
        try send(.candidate(candidate, from: nil))
    }

    /// Sends `end-of-candidates` now (RFC 8838 §8.2).
    public func sendEndOfCandidates() throws {
        try send(.endOfCandidates(from: nil))
    }

    // MARK: - trickle (CandidateTrickling)

    public func trickle(candidate: String) {
        trickle(.candidate(TrickleICEFragment.attributeValue(candidate)))
    }

    public func trickleEndOfCandidates() {
        trickle(.end)
    }

    /// What happened to the candidates handed to `trickle`.
    public var trickleCounts: TrickleCounts { state.withLock { $0.trickleCounts } }

    /// Sends `item` now when this side's description is out, else holds it until it is.
    private func trickle(_ item: TrickleItem) {
        let now = state.withLock { s -> Bool in
            if s.trickleOpen { return true }
            s.heldTrickle.append(item)
            return false
        }
        if now { deliver(item) }
    }

    /// The offer or answer, then what `trickle` held for it, in order; then trickling is open.
    /// (The gate of RoomPeer.welcome on the server: nothing held can pass the description.)
    private func sendDescription(_ message: SignalMessage, sdp: String) throws {
        state.withLock { $0.sentDescription = TrickleICEFragment.DescriptionIdentity(description: sdp) }
        try send(message)
        while let batch = state.withLock({ s -> [TrickleItem]? in
            if s.heldTrickle.isEmpty { s.trickleOpen = true; return nil }
            defer { s.heldTrickle.removeAll() }
            return s.heldTrickle
        }) {
            for item in batch { deliver(item) }
        }
    }

    /// One trickled item to the room: with the mid of the description's first section (the
    /// BUNDLE transport), unless the description carried it already.
    private func deliver(_ item: TrickleItem) {
        let message: SignalMessage? = state.withLock { s in
            let identity = s.sentDescription
            switch item {
            case .candidate(let c):
                if identity?.candidates.contains(c) == true { s.trickleCounts.alreadyInDescription += 1; return nil }
                return .candidate(IceCandidateInit(candidate: c, sdpMid: identity?.mid, sdpMLineIndex: 0), from: nil)
            case .end:
                if identity?.endOfCandidates == true || s.trickleCounts.endOfCandidatesSent { return nil }
                return .endOfCandidates(from: nil)
            }
        }
        guard let message else { return }
        do {
            try send(message)
            state.withLock { s in
                if case .endOfCandidates = message { s.trickleCounts.endOfCandidatesSent = true } else { s.trickleCounts.sent += 1 }
            }
        } catch {
            state.withLock { $0.trickleCounts.dropped += 1 }
            logger.notice("room \(room): a trickled candidate was not sent (\(error))")
        }
    }

    /// Sends `bye`, leaves the room and closes the connection (waits up to 2 s for the
    /// queued messages to go out).
    public func close() async throws {
        let (sink, connection, joined) = state.withLock { s -> (AsyncStream<SignalMessage>.Continuation?, Task<Void, Never>?, Bool) in
            let r = (s.outgoing, s.connection, s.joined != nil && !s.closed)
            s.closed = true
            s.outgoing = nil
            return r
        }
        let unsent = state.withLock { s -> Int in
            defer { s.trickleCounts.dropped += s.heldTrickle.count; s.heldTrickle.removeAll() }
            return s.heldTrickle.count
        }
        if unsent > 0 { logger.notice("room \(room): \(unsent) local candidate(s) were never sent: no offer or answer went out") }
        if joined { sink?.yield(.bye(reason: nil, from: nil)) }
        sink?.finish()
        state.withLock { s in
            s.renegotiation?.finish()
            s.renegotiation = nil
        }
        if let connection {
            do { _ = try await closedBox.receive(timeout: .seconds(2), "closing") } catch {
                // Closing goes on either way; what was still queued (the bye) may be lost.
                logger.notice("room \(room): the connection did not close within 2 s; queued messages may not have been sent (\(error))")
            }
            connection.cancel()
            await connection.value
        }
        byeSink.finish()
        candidateSink.finish()
    }

    // MARK: - connection

    /// Queues `message` for the writer; throws when the connection has ended.
    private func send(_ message: SignalMessage) throws {
        let (sink, ended) = state.withLock { ($0.outgoing, $0.ended) }
        if let ended { throw ended }
        guard let sink else { throw SignalingError.misuse("this RoomClient is not connected (closed, or not joined yet)") }
        if case .terminated = sink.yield(message) {
            throw state.withLock { $0.ended } ?? SignalingError.connectionClosed("the connection to \(url) ended")
        }
    }

    private func connect() {
        let (stream, sink) = AsyncStream<SignalMessage>.makeStream()
        let url = self.url, logger = self.logger
        let task = Task { [self] in
            var reason = "the server closed the connection"
            do {
                let closeFrame = try await WebSocketClient.connect(
                    url: url, configuration: .init(maxFrameSize: 1 << 20), logger: logger
                ) { inbound, outbound, _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await message in stream {
                                try await outbound.writeTextMessage(message.jsonText())
                            }
                        }
                        group.addTask {
                            for try await message in inbound.messages(maxSize: 1 << 20) {
                                if case .text(let text) = message { self.dispatch(text) }
                            }
                        }
                        _ = try await group.next()
                        group.cancelAll()
                    }
                }
                if let text = closeFrame?.reason, !text.isEmpty { reason = "the server closed the connection (\(text))" }
            } catch {
                reason = "cannot talk to \(url): \(error)"
            }
            self.connectionEnded(SignalingError.connectionClosed(reason))
        }
        state.withLock { s in
            s.outgoing = sink
            s.connection = task
        }
    }

    private func connectionEnded(_ error: SignalingError) {
        let sink = state.withLock { s -> AsyncStream<SignalMessage>.Continuation? in
            s.ended = error
            return s.outgoing
        }
        sink?.finish()
        closedBox.put(())
        failAll(error)
        byeSink.finish()
        candidateSink.finish()
    }

    private func failAll(_ error: any Error) {
        state.withLock { s in
            s.renegotiation?.finish()
            s.renegotiation = nil
        }
        joinedBox.fail(error)
        peerArrivals.fail(error)
        offers.fail(error)
        answers.fail(error)
    }

    /// Two offerers would wait for answers forever, two answerers for offers: say so.
    private func checkRoles(_ other: PeerInfo) {
        let mine = state.withLock { $0.role }
        if mine == .offerer && other.role == .offerer {
            answers.fail(SignalingError.server(code: "glare", message: "the other peer in room \(room) also offers; one side must answer"))
        } else if mine == .answerer && other.role == .answerer {
            offers.fail(SignalingError.server(code: "glare", message: "the other peer in room \(room) also waits for an offer; one side must offer"))
        }
    }

    private func dispatch(_ text: String) {
        let message: SignalMessage
        do {
            message = try SignalMessage(jsonText: text)
        } catch {
            logger.warning("ignoring a message from the server: \(error)")
            return
        }
        switch message {
        case .joined(_, let id, let peers):
            state.withLock { $0.others = peers }
            joinedBox.put(JoinedRoom(id: id, peers: peers))
            peers.forEach(checkRoles)
        case .peerJoined(let peer):
            state.withLock { $0.others.append(peer) }
            peerArrivals.put(peer)
            checkRoles(peer)
        case .peerLeft(let id):
            state.withLock { $0.others.removeAll { $0.id == id } }
        case .offer(let sdp, _):
            if let later = state.withLock({ $0.renegotiation }) { later.yield(RemoteDescription(kind: .offer, sdp: sdp)) } else { offers.put(sdp) }
        case .answer(let sdp, _):
            if let later = state.withLock({ $0.renegotiation }) { later.yield(RemoteDescription(kind: .answer, sdp: sdp)) } else { answers.put(sdp) }
        case .candidate(let candidate, _):
            candidateSink.yield(candidate)
        case .endOfCandidates:
            candidateSink.yield(IceCandidateInit(candidate: ""))
        case .bye(let reason, let from):
            byeSink.yield(RemoteBye(from: from, reason: reason))
            let error = SignalingError.server(code: "bye", message: "the other peer hung up" + (reason.map { " (\($0))" } ?? ""))
            offers.fail(error)
            answers.fail(error)
        case .error(let code, let text):
            failAll(SignalingError.server(code: code, message: text))
        case .join:
            break
        }
    }
}
