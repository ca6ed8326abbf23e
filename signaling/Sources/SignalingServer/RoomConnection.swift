import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Signaling
import Synchronization

/// One WebSocket client of the room server: reads its JSON messages (bounded in size),
/// answers mistakes with `error` messages (which never quote the input back), relays offers,
/// answers, candidates and byes to the other peer of its room, and queues what the room
/// sends it for one writer task, in a queue bounded in bytes.
///
/// A connection ends when it breaks the protocol's limits (too large, unauthorized, full
/// room), when it has not joined within the handshake timeout, or when its send queue is
/// full (it stopped reading): an `error`, a close frame, and one second later the socket
/// is cut whether or not the peer answered the close.
struct RoomConnection: Sendable {
    let server: SignalServer
    let logger: Logger
    let channel: any Channel

    /// Where the connection stands in the room protocol.
    struct Membership: Sendable {
        var room: String
        var peerID: String
    }

    /// How long a peer that was told to go has to read the close frame before the socket is cut.
    static let closeGrace: TimeAmount = .seconds(1)

    /// Ends the connection: reading stops, the error (when there is room for it) and the close
    /// frame go out, then the socket is cut after `closeGrace`. False when the connection was already ending.
    @discardableResult
    private func end(_ queue: OutboundQueue, code: String, _ text: String, close closeCode: WebSocketErrorCode, dropQueued: Bool = false) -> Bool {
        if !dropQueued { _ = queue.push(SignalMessage.error(code: code, message: text).jsonText()) }
        guard queue.close(closeCode, code, dropQueued: dropQueued) else { return false }
        let channel = self.channel
        // Not one more byte from a peer that was told to go (a too-large message may go on
        // for hundreds of MB): the kernel's buffers fill and its sends stall. Writing the
        // error and the close frame is not affected.
        channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        channel.eventLoop.scheduleTask(in: Self.closeGrace) { channel.close(promise: nil) }
        return true
    }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let queue = OutboundQueue(limitBytes: server.configuration.maxQueuedBytes, counters: server.counters)
        let joined = JoinedFlag()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while let item = await queue.next() {
                    do {
                        switch item {
                        case .text(let text):
                            try await outbound.writeTextMessage(text)
                        case .close(let code, let reason):
                            try await outbound.close(code, reason: reason)
                            return
                        }
                    } catch {
                        return
                    }
                }
            }
            // The WebSocket handshake is done; the join must follow within the same time.
            let timeout = server.configuration.handshakeTimeout
            let joinTimer = Task { [self] in
                // Throws only when cancelled (joined or ended), which the check below sees.
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled, !joined.isSet {
                    end(queue, code: "join-timeout", "no join within \(timeout): send {\"type\":\"join\",\"room\":\"R\"} first", close: .policyViolation)
                }
            }
            var membership: Membership? = nil
            await readLoop(inbound: inbound, queue: queue, joined: joined, membership: &membership)
            joinTimer.cancel()
            if let m = membership {
                server.registry.leave(room: m.room, peerID: m.peerID)
            }
            let dropped = queue.droppedCount
            if dropped > 0 { logger.notice("a connection ended with \(dropped) messages it could not be sent (its send queue was full)") }
            // The writer sends what is queued (an error, the close frame) and stops; a writer
            // stuck on a peer that does not read is freed by the socket cut `end` scheduled.
            queue.finish()
            await group.waitForAll()
        }
    }

    private func readLoop(inbound: WebSocketInboundStream, queue: OutboundQueue, joined: JoinedFlag, membership: inout Membership?) async {
        let limit = server.configuration.maxMessageBytes
        var iterator = inbound.makeAsyncIterator()
        var message = ByteBuffer()
        var isText = true
        var inMessage = false
        func send(_ m: SignalMessage) {
            if queue.push(m.jsonText()) == .full { overflow(queue) }
        }
        do {
            while let frame = try await iterator.next() {
                switch frame.opcode {
                case .text, .binary:
                    message.clear()
                    isText = frame.opcode == .text
                    inMessage = true
                case .continuation:
                    guard inMessage else { continue }
                }
                if message.readableBytes + frame.data.readableBytes > limit {
                    end(queue, code: "too-large", "a message may have at most \(limit) bytes; this one has more; the connection is closed", close: .messageTooLarge)
                    return
                }
                var data = frame.data
                message.writeBuffer(&data)
                guard frame.fin else { continue }
                inMessage = false
                guard isText else {
                    send(.error(code: "bad-message", message: "binary messages are not part of the protocol: send JSON text"))
                    continue
                }
                let text = String(buffer: message)
                if handle(text: text, queue: queue, send: send, membership: &membership) == .close { return }
                if membership != nil { joined.set() }
            }
        } catch {
            logger.debug("WebSocket read ended: \(error)")
        }
    }

    /// The peer does not read what it is sent: drop what waits and end the connection.
    private func overflow(_ queue: OutboundQueue) {
        guard end(queue, code: "send-queue-full", "", close: .policyViolation, dropQueued: true) else { return }
        server.counters.countOverflow()
        logger.notice("closed a connection whose send queue is full (\(queue.limitBytes) bytes): the peer stopped reading")
    }

    private enum Next { case keepOpen, close }

    /// What an unparsable message is told: the code and fixed words, never the input.
    static func refusal(_ error: any Error) -> (code: String, message: String) {
        switch error as? SignalingError {
        case .badJSON(let detail)?: return ("bad-json", detail)
        case .unknownMessageType?:
            return ("unknown-type", "\"type\" must be one of: join, offer, answer, candidate, end-of-candidates, bye (signaling/PROTOCOL.md)")
        case .missingField(let type, let field)?: return ("bad-message", "message \"\(type)\" needs the field \"\(field)\"")
        default: return ("bad-message", "the message does not fit the protocol (signaling/PROTOCOL.md)")
        }
    }

    private func handle(text: String, queue: OutboundQueue, send: (SignalMessage) -> Void, membership: inout Membership?) -> Next {
        let message: SignalMessage
        do {
            message = try SignalMessage(jsonText: text)
        } catch {
            let (code, words) = Self.refusal(error)
            send(.error(code: code, message: words))
            return .keepOpen
        }
        let current = membership
        switch message {
        case .join(let room, let token, let role):
            if current != nil {
                send(.error(code: "already-joined", message: "this connection already joined room \(current?.room ?? ""); open another connection for another room"))
                return .keepOpen
            }
            guard server.authorized(token) else {
                end(queue, code: "unauthorized", token == nil
                    ? "this server needs a token: add \"token\" to the join message (the page takes ?token=T)"
                    : "the token is wrong", close: .policyViolation)
                return .close
            }
            guard RoomRegistry.isValidRoomName(room) else {
                send(.error(code: "bad-room", message: "a room name has 1 to 64 characters among A-Z a-z 0-9 - . _ ~"))
                return .keepOpen
            }
            let id = randomID(prefix: "p")
            let peer = RoomPeer(id: id, role: role, awaitsWelcome: true) { [self] m in
                if queue.push(m.jsonText()) == .full { overflow(queue) }
            }
            do {
                let present = try server.registry.join(room: room, peer: peer)
                membership = Membership(room: room, peerID: id)
                peer.welcome(.joined(room: room, id: id, peers: present))
                logger.info("peer \(id) (\(role.rawValue)) joined room \(room)")
                return .keepOpen
            } catch {
                end(queue, code: error.code, error.message, close: .policyViolation)
                return .close
            }
        case .offer, .answer, .candidate, .endOfCandidates, .bye:
            guard let current else {
                send(.error(code: "not-joined", message: "send {\"type\":\"join\",\"room\":\"R\"} before \"\(message.type)\""))
                return .keepOpen
            }
            if !server.registry.relay(room: current.room, from: current.peerID, message) {
                send(.error(code: "no-peer", message: "no other peer is in room \(current.room) yet: wait for \"peer-joined\" before sending \"\(message.type)\""))
            }
            return .keepOpen
        case .joined, .peerJoined, .peerLeft, .error:
            send(.error(code: "bad-message", message: "\"\(message.type)\" is sent by the server, not by clients"))
            return .keepOpen
        }
    }
}

/// Whether the connection has joined a room, read by its join timer.
final class JoinedFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
