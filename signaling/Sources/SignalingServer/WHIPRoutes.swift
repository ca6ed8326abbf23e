import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import Signaling
import Synchronization

/// One WHIP session (RFC 9725 §4.2): a member of a room whose offer came by HTTP POST and
/// whose answer goes back in the POST's response; its trickle PATCHes (§4.3) become the
/// room's `candidate` and `end-of-candidates` messages.
final class WHIPSession: Sendable {
    let id: String
    let room: String
    var peerID: String { "whip-" + id }
    /// The room peer's answer, or the reason there will be none.
    let answer = Mailbox<String>()
    /// The ICE session's entity-tag (RFC 9725 §4.3.1), sent with the 201.
    let entityTag = EntityTag.random()
    /// The offer's ICE credentials and first section: what a PATCH must repeat.
    let offerIdentity: TrickleICEFragment.DescriptionIdentity?
    private let trickle = Mutex(Trickled())
    private struct Trickled {
        var candidates = 0
        var ended = false
    }
    /// Most candidates one WHIP session may trickle into its room.
    static let maxCandidates = 512

    init(id: String, room: String, offer: String) {
        self.id = id
        self.room = room
        offerIdentity = TrickleICEFragment.DescriptionIdentity(description: offer)
    }

    /// The messages a fragment becomes: each candidate once (not after end-of-candidates,
    /// RFC 8838 §13, nor past the limit), then end-of-candidates once. `ignored` counts the rest.
    func messages(for fragment: TrickleICEFragment) -> (messages: [SignalMessage], ignored: Int) {
        trickle.withLock { t in
            var out: [SignalMessage] = []
            var ignored = 0
            for (candidate, mid, index) in fragment.allCandidates {
                if t.ended || t.candidates >= Self.maxCandidates { ignored += 1; continue }
                t.candidates += 1
                // With a mid the index is not needed (and the fragment's order is not the SDP's).
                out.append(.candidate(IceCandidateInit(candidate: candidate, sdpMid: mid, sdpMLineIndex: mid == nil ? index : nil), from: nil))
            }
            if fragment.endsCandidates, !t.ended {
                t.ended = true
                out.append(.endOfCandidates(from: nil))
            }
            return (out, ignored)
        }
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
    /// with its SDP answer (201 + Location + ETag); `PATCH /whip/{room}/{session}` relays
    /// trickled candidates (RFC 9725 §4.3) to the room peer; `DELETE /whip/{room}/{session}`
    /// ends the session and the room peer receives `bye`.
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
        router.patch(RouterPath(stringLiteral: "\(base)/:room/:session")) { [self] request, context -> Response in
            try await whipPatch(request: request, room: context.parameters.get("room") ?? "", session: context.parameters.get("session") ?? "")
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

        let session = WHIPSession(id: randomID(), room: room, offer: offer)
        let peer = RoomPeer(id: session.peerID, role: .offerer) { [registry, whip, counters] message in
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
            case .candidate, .endOfCandidates:
                // RFC 9725 has no way to trickle to a WHIP client: its answer must carry the
                // room peer's candidates. Counted, so a trickling room peer shows.
                counters.countCandidateNotRelayedToWHIP()
            default:
                break
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
            headers: [.contentType: "application/sdp", .location: "\(SignalServerPaths.whip)/\(room)/\(session.id)",
                      .eTag: session.entityTag, .acceptPatch: TrickleICEFragment.mediaType],
            body: .init(byteBuffer: ByteBuffer(string: answer)))
    }

    /// A trickle PATCH (RFC 9725 §4.3.1): 204 once its candidates are relayed to the room
    /// peer as `candidate` messages (from `whip-SESSION`), and its end as `end-of-candidates`.
    /// 401 without the token, 404 for another session, 415 for another body type, 412 for a
    /// stale `If-Match`, 400 for a body that is not a fragment, 422 for other ICE credentials
    /// (an ICE restart: not supported).
    func whipPatch(request: Request, room: String, session id: String) async throws -> Response {
        guard authorized(bearer(request)) else { return unauthorized() }
        guard let session = whip.get(id), session.room == room else {
            return textResponse(.notFound, "no WHIP session \(id) in room \(room) (it ended, or never existed)")
        }
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard mediaType == TrickleICEFragment.mediaType else {
            var r = textResponse(.unsupportedMediaType, "trickled candidates are sent with Content-Type: \(TrickleICEFragment.mediaType) (RFC 8840)")
            r.headers[.acceptPatch] = TrickleICEFragment.mediaType
            return r
        }
        guard EntityTag.ifMatch(request.headers[.ifMatch], current: session.entityTag) else {
            return textResponse(.preconditionFailed, "If-Match does not name this session's ICE session (its ETag is \(session.entityTag))")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: configuration.maxMessageBytes, within: whipBodyTimeout)
        } catch SignalingError.timeout {
            return textResponse(.requestTimeout, "the fragment did not arrive within \(whipBodyTimeout)")
        } catch {
            return textResponse(.contentTooLarge, "a fragment may have at most \(configuration.maxMessageBytes) bytes")
        }
        let fragment: TrickleICEFragment
        do throws(TrickleICEFragment.ParseError) {
            fragment = try TrickleICEFragment(parsing: String(buffer: body))
        } catch {
            return textResponse(.badRequest, "not a trickle-ice-sdpfrag: \(error.reason)")
        }
        if let problem = fragment.restartProblem(offer: session.offerIdentity) {
            return textResponse(.unprocessableContent, problem)
        }
        let (messages, ignored) = session.messages(for: fragment)
        if ignored > 0 {
            logger.notice("WHIP session \(id) in room \(room): ignored \(ignored) trickled candidate(s) after end-of-candidates or over \(WHIPSession.maxCandidates)")
        }
        for message in messages {
            guard registry.relay(room: room, from: session.peerID, message) else {
                return textResponse(.notFound, "the peer in room \(room) is gone")
            }
        }
        return Response(status: .noContent)
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
