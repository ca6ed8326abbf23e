import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import Signaling
import Synchronization

/// One WHIP session (RFC 9725 §4.2): a member of a room whose offer came by HTTP POST and
/// whose answer goes back in the POST's response.
final class WHIPSession: Sendable {
    let id: String
    let room: String
    var peerID: String { "whip-" + id }
    /// The room peer's answer, or the reason there will be none.
    let answer = Mailbox<String>()

    init(id: String, room: String) {
        self.id = id
        self.room = room
    }
}

/// The live WHIP sessions, by session id.
final class WHIPSessions: Sendable {
    private let sessions = Mutex<[String: WHIPSession]>([:])

    func add(_ s: WHIPSession) { sessions.withLock { $0[s.id] = s } }
    @discardableResult func remove(_ id: String) -> WHIPSession? { sessions.withLock { $0.removeValue(forKey: id) } }
    func get(_ id: String) -> WHIPSession? { sessions.withLock { $0[id] } }
}

/// How long a WHIP client may take to send its offer's body.
let whipBodyTimeout: Duration = .seconds(10)

extension SignalServer {
    /// `POST /whip/{room}` relays an SDP offer to the peer waiting in the room and answers
    /// with its SDP answer (201 + Location); `DELETE /whip/{room}/{session}` ends the
    /// session and the room peer receives `bye`. Trickle (PATCH) is not offered: 405.
    func addWHIPRoutes(to router: Router<SignalRequestContext>) {
        let base = SignalServerPaths.whip
        router.post(RouterPath(stringLiteral: "\(base)/:room")) { [self] request, context -> Response in
            try await whipPost(request: request, room: context.parameters.get("room") ?? "")
        }
        router.delete(RouterPath(stringLiteral: "\(base)/:room/:session")) { [self] request, context -> Response in
            whipDelete(request: request, room: context.parameters.get("room") ?? "", session: context.parameters.get("session") ?? "")
        }
        router.whipOptions("\(base)/:room", policy: configuration.corsPolicy)
        router.whipOptions("\(base)/:room/:session", policy: configuration.corsPolicy)
        router.patch(RouterPath(stringLiteral: "\(base)/:room/:session")) { _, _ -> Response in
            var r = textResponse(.methodNotAllowed, "this WHIP server does not take trickled candidates (PATCH): send a complete offer")
            r.headers[.allow] = "DELETE"
            return r
        }
    }

    private func bearer(_ request: Request) -> String? {
        guard let value = request.headers[.authorization] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }

    private func unauthorized() -> Response {
        var r = textResponse(.unauthorized, "this server needs a bearer token: Authorization: Bearer TOKEN")
        r.headers[.wwwAuthenticate] = "Bearer"
        return r
    }

    func whipPost(request: Request, room: String) async throws -> Response {
        guard authorized(bearer(request)) else { return unauthorized() }
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard mediaType == "application/sdp" else {
            return textResponse(.unsupportedMediaType, "a WHIP offer is sent with Content-Type: application/sdp (this request had \(contentType.isEmpty ? "none" : "\"\(contentType)\""))")
        }
        guard RoomRegistry.isValidRoomName(room) else {
            return textResponse(.notFound, "no such room: a room name has 1 to 64 characters among A-Z a-z 0-9 - . _ ~")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: configuration.maxMessageBytes, within: whipBodyTimeout)
        } catch SignalingError.timeout {
            return textResponse(.requestTimeout, "the offer did not arrive within \(whipBodyTimeout)")
        } catch {
            return textResponse(.contentTooLarge, "an offer may have at most \(configuration.maxMessageBytes) bytes")
        }
        let offer = String(buffer: body)
        if let problem = SDPOfferShape.problem(offer) {
            return textResponse(.badRequest, "not an SDP offer: \(problem)")
        }
        let present = registry.peers(in: room)
        guard let waiting = present.first else {
            return textResponse(.notFound, "no peer is waiting in room \(room): open the page with ?room=\(room), or run `tincan-signal answer --url ws://HOST:PORT --room \(room)`, first")
        }
        if present.count >= RoomRegistry.maxPeersPerRoom {
            return textResponse(.conflict, "room \(room) is full: it already has \(RoomRegistry.maxPeersPerRoom) peers")
        }
        if waiting.role == .offerer {
            return textResponse(.conflict, "the peer in room \(room) only makes offers; a WHIP client needs a peer that answers")
        }

        let session = WHIPSession(id: randomID(), room: room)
        let peer = RoomPeer(id: session.peerID, role: .offerer) { [registry, whip] message in
            switch message {
            case .answer(let sdp, _):
                session.answer.put(sdp)
            case .bye(let reason, _):
                session.answer.fail(SignalingError.server(code: "bye", message: "the peer in room \(room) ended the session\(reason.map { " (\($0))" } ?? "")"))
                whip.remove(session.id)
                registry.leave(room: room, peerID: session.peerID)
            case .peerLeft:
                session.answer.fail(SignalingError.server(code: "peer-left", message: "the peer in room \(room) left"))
                whip.remove(session.id)
                registry.leave(room: room, peerID: session.peerID)
            default:
                break // candidates: a WHIP answer is complete (no trickle here)
            }
        }
        do {
            _ = try registry.join(room: room, peer: peer)
        } catch {
            return textResponse(.conflict, error.message)
        }
        whip.add(session)
        _ = registry.relay(room: room, from: session.peerID, .offer(sdp: offer, from: nil))

        let answer: String
        do {
            answer = try await session.answer.receive(timeout: configuration.whipAnswerTimeout, "answer")
        } catch SignalingError.timeout {
            whip.remove(session.id)
            registry.leave(room: room, peerID: session.peerID, byeReason: "no answer in time")
            return textResponse(.gatewayTimeout, "the peer in room \(room) did not answer within \(configuration.whipAnswerTimeout)")
        } catch let error as SignalingError {
            whip.remove(session.id)
            registry.leave(room: room, peerID: session.peerID)
            return textResponse(.serviceUnavailable, "no answer: \(error.description)")
        } catch {
            whip.remove(session.id)
            registry.leave(room: room, peerID: session.peerID, byeReason: "the WHIP client went away")
            throw error
        }
        return Response(
            status: .created,
            headers: [.contentType: "application/sdp", .location: "\(SignalServerPaths.whip)/\(room)/\(session.id)"],
            body: .init(byteBuffer: ByteBuffer(string: answer)))
    }

    func whipDelete(request: Request, room: String, session id: String) -> Response {
        guard authorized(bearer(request)) else { return unauthorized() }
        guard let session = whip.get(id), session.room == room else {
            return textResponse(.notFound, "no WHIP session \(id) in room \(room) (it ended, or never existed)")
        }
        whip.remove(id)
        session.answer.fail(SignalingError.server(code: "deleted", message: "the session was deleted"))
        registry.leave(room: room, peerID: session.peerID, byeReason: "WHIP session deleted")
        return Response(status: .ok)
    }
}

/// A short text/plain response: what a person reading `curl` output needs to know.
func textResponse(_ status: HTTPResponse.Status, _ text: String) -> Response {
    Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
             body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
}
