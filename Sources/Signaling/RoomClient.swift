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
/// `candidates` yields candidates trickled by peers that trickle (browsers may).
public final class RoomClient: OfferExchange, OfferAnswering, Sendable {
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
        try send(.offer(sdp: offer, from: nil))
        return try await answers.receive(timeout: timeout, "the answer in room \(room)")
    }

    public func receiveOffer() async throws -> String {
        try await join(role: .answerer)
        return try await offers.receive(timeout: timeout, "an offer in room \(room)")
    }

    public func sendAnswer(_ sdp: String) async throws {
        guard state.withLock({ $0.joined != nil }) else {
            throw SignalingError.misuse("sendAnswer before receiveOffer: join the room first")
        }
        try send(.answer(sdp: sdp, from: nil))
    }

    /// Trickles one candidate to the other peer (for peers that trickle; Tincan does not).
    public func send(candidate: IceCandidateInit) throws {
        try send(.candidate(candidate, from: nil))
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
        if joined { sink?.yield(.bye(reason: nil, from: nil)) }
        sink?.finish()
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
            offers.put(sdp)
        case .answer(let sdp, _):
            answers.put(sdp)
        case .candidate(let candidate, _):
            candidateSink.yield(candidate)
        case .endOfCandidates:
            break
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
