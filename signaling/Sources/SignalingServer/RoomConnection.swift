import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Signaling

/// One WebSocket client of the room server: reads its JSON messages (bounded in size),
/// answers mistakes with `error` messages, relays offers, answers, candidates and byes to
/// the other peer of its room, and queues what the room sends it for one writer task.
struct RoomConnection: Sendable {
    let server: SignalServer
    let logger: Logger

    /// What the writer task sends: a message, or a close frame (the last thing sent).
    enum Outgoing: Sendable {
        case message(SignalMessage)
        case close(WebSocketErrorCode, String)
    }

    /// Where the connection stands in the room protocol.
    struct Membership: Sendable {
        var room: String
        var peerID: String
    }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let (queue, sink) = AsyncStream<Outgoing>.makeStream()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await item in queue {
                    do {
                        switch item {
                        case .message(let m):
                            try await outbound.writeTextMessage(m.jsonText())
                        case .close(let code, let reason):
                            try await outbound.close(code, reason: reason)
                            return
                        }
                    } catch {
                        return
                    }
                }
            }
            var membership: Membership? = nil
            await readLoop(inbound: inbound, sink: sink, membership: &membership)
            if let m = membership {
                server.registry.leave(room: m.room, peerID: m.peerID)
            }
            sink.finish()
            await group.waitForAll()
        }
    }

    private func readLoop(inbound: WebSocketInboundStream, sink: AsyncStream<Outgoing>.Continuation, membership: inout Membership?) async {
        let limit = server.configuration.maxMessageBytes
        var iterator = inbound.makeAsyncIterator()
        var message = ByteBuffer()
        var isText = true
        var inMessage = false
        func fail(_ code: String, _ text: String, close closeCode: WebSocketErrorCode) {
            sink.yield(.message(.error(code: code, message: text)))
            sink.yield(.close(closeCode, code))
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
                    fail("too-large", "a message may have at most \(limit) bytes; this one has more; the connection is closed", close: .messageTooLarge)
                    return
                }
                var data = frame.data
                message.writeBuffer(&data)
                guard frame.fin else { continue }
                inMessage = false
                guard isText else {
                    sink.yield(.message(.error(code: "bad-message", message: "binary messages are not part of the protocol: send JSON text")))
                    continue
                }
                let text = String(buffer: message)
                if handle(text: text, sink: sink, membership: &membership) == .close { return }
            }
        } catch {
            logger.debug("WebSocket read ended: \(error)")
        }
    }

    private enum Next { case keepOpen, close }

    private func handle(text: String, sink: AsyncStream<Outgoing>.Continuation, membership: inout Membership?) -> Next {
        let message: SignalMessage
        do {
            message = try SignalMessage(jsonText: text)
        } catch let error as SignalingError {
            let code: String
            switch error {
            case .badJSON: code = "bad-json"
            case .unknownMessageType: code = "unknown-type"
            default: code = "bad-message"
            }
            sink.yield(.message(.error(code: code, message: error.description)))
            return .keepOpen
        } catch {
            sink.yield(.message(.error(code: "bad-message", message: "\(error)")))
            return .keepOpen
        }
        let current = membership
        switch message {
        case .join(let room, let token, let role):
            if current != nil {
                sink.yield(.message(.error(code: "already-joined", message: "this connection already joined room \(current?.room ?? ""); open another connection for another room")))
                return .keepOpen
            }
            guard server.authorized(token) else {
                sink.yield(.message(.error(code: "unauthorized", message: token == nil
                    ? "this server needs a token: add \"token\" to the join message (the page takes ?token=T)"
                    : "the token is wrong")))
                sink.yield(.close(.policyViolation, "unauthorized"))
                return .close
            }
            guard RoomRegistry.isValidRoomName(room) else {
                sink.yield(.message(.error(code: "bad-room", message: "a room name has 1 to 64 characters among A-Z a-z 0-9 - . _ ~")))
                return .keepOpen
            }
            let id = randomID(prefix: "p")
            let peer = RoomPeer(id: id, role: role) { sink.yield(.message($0)) }
            do {
                let present = try server.registry.join(room: room, peer: peer)
                membership = Membership(room: room, peerID: id)
                sink.yield(.message(.joined(room: room, id: id, peers: present)))
                logger.info("peer \(id) (\(role.rawValue)) joined room \(room)")
                return .keepOpen
            } catch {
                sink.yield(.message(.error(code: error.code, message: error.message)))
                sink.yield(.close(.policyViolation, error.code))
                return .close
            }
        case .offer, .answer, .candidate, .endOfCandidates, .bye:
            guard let current else {
                sink.yield(.message(.error(code: "not-joined", message: "send {\"type\":\"join\",\"room\":\"R\"} before \"\(message.type)\"")))
                return .keepOpen
            }
            if !server.registry.relay(room: current.room, from: current.peerID, message) {
                sink.yield(.message(.error(code: "no-peer", message: "no other peer is in room \(current.room) yet: wait for \"peer-joined\" before sending \"\(message.type)\"")))
            }
            return .keepOpen
        case .joined, .peerJoined, .peerLeft, .error:
            sink.yield(.message(.error(code: "bad-message", message: "\"\(message.type)\" is sent by the server, not by clients")))
            return .keepOpen
        }
    }
}
