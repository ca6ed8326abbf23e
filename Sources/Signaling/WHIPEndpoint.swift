import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A tiny WHIP endpoint (RFC 9725 §4.2) for a receiver: it listens, takes one offer by POST,
/// hands it to `receiveOffer()`, answers the POST with the SDP given to `sendAnswer` as
/// `201 Created` with a `Location`, and observes the DELETE of that session (`ended()`).
///
/// One session at a time: a POST while an offer is being answered, or after one was, gets
/// 409. A POST that is not an SDP offer gets 400 with the reason and leaves the endpoint
/// waiting for the next one; so does an offer the receiver refuses (`rejectOffer`).
///
/// Trickle ICE (RFC 9725 §4.3): the 201 carries an `ETag` and `Accept-Patch:
/// application/trickle-ice-sdpfrag`; a PATCH of the session URL with such a fragment (RFC
/// 8840) hands its candidates to `remoteCandidates` and gets 204. A body that is not a
/// fragment gets 400, a stale `If-Match` 412, other ICE credentials (an ICE restart, not
/// supported) 422, another session 404.
public final class WHIPEndpoint: OfferAnswering, Sendable {
    public let listen: HostPort
    public let path: String
    public let bearerToken: String?
    public let answerTimeout: Duration
    public let maxOfferBytes: Int
    /// Which pages may POST from a browser (preflight, exposed `Location`).
    public let corsPolicy: CORSPolicy
    /// How long a client may take to send its offer's body.
    static let bodyTimeout: Duration = .seconds(10)

    private let logger: Logger
    /// The WHIP client's trickled candidates (`candidate:...`), then nil for its
    /// end-of-candidates; finishes when the endpoint closes. For `pc.addIceCandidate`.
    public let remoteCandidates: AsyncStream<String?>
    private let remoteCandidateSink: AsyncStream<String?>.Continuation
    /// Most candidates one session may trickle (a gathering yields tens).
    public static let maxRemoteCandidates = 512
    private let offers = Mailbox<String>()
    private let endedBox = Mailbox<Void>()
    /// The receiver's verdict on one offer.
    private enum Verdict: Sendable {
        case answer(String)
        case reject(String)
    }
    /// The offer being answered: its session id and where the verdict goes.
    private struct Pending {
        var session: String
        var verdict: Mailbox<Verdict>
    }
    private struct State {
        var server: BackgroundServer?
        var starting = false
        var pending: Pending?
        /// The session that was answered (201): the call. Later POSTs get 409.
        var session: String?
        /// Its entity-tag (RFC 9725 §4.3.1) and what its offer said (the ICE credentials
        /// a trickle PATCH must repeat).
        var entityTag = ""
        var offerIdentity: TrickleICEFragment.DescriptionIdentity?
        var trickle = RemoteTrickle()
    }
    /// What the client trickled so far.
    public struct RemoteTrickle: Sendable, Equatable {
        public var candidates = 0
        public var endOfCandidates = false
        /// Candidates after end-of-candidates (RFC 8838 §13: ignored) or over the limit.
        public var ignored = 0

        public init(candidates: Int = 0, endOfCandidates: Bool = false, ignored: Int = 0) {
            self.candidates = candidates
            self.endOfCandidates = endOfCandidates
            self.ignored = ignored
        }
    }
    private let state = Mutex(State())

    public init(listen: HostPort, path: String = "/whip", bearerToken: String? = nil,
                answerTimeout: Duration = .seconds(30), maxOfferBytes: Int = 64 * 1024,
                corsPolicy: CORSPolicy = .anyOrigin,
                logger: Logger = Logger(label: "tincan.whip", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.listen = listen
        self.path = path.hasPrefix("/") ? path : "/" + path
        self.bearerToken = bearerToken
        self.answerTimeout = answerTimeout
        self.maxOfferBytes = maxOfferBytes
        self.corsPolicy = corsPolicy
        self.logger = logger
        (remoteCandidates, remoteCandidateSink) = AsyncStream<String?>.makeStream()
    }

    /// What the WHIP client trickled (tests, logs).
    public var remoteTrickle: RemoteTrickle { state.withLock { $0.trickle } }

    public convenience init(listen: String, path: String = "/whip", bearerToken: String? = nil,
                            answerTimeout: Duration = .seconds(30), corsPolicy: CORSPolicy = .anyOrigin) throws {
        self.init(listen: try HostPort(parsing: listen), path: path, bearerToken: bearerToken, answerTimeout: answerTimeout,
                  corsPolicy: corsPolicy)
    }

    /// The bound port, once started (the real one when port 0 was asked for).
    public var port: Int? { state.withLock { $0.server?.port } }

    /// The URL a WHIP client POSTs to (with the bound port).
    public var endpointURL: String? {
        guard let port else { return nil }
        let host = listen.host == "0.0.0.0" || listen.host == "::" ? "127.0.0.1" : listen.host
        return "http://\(HostPort(host: host, port: port))\(path)"
    }

    /// Binds and starts serving; `receiveOffer` does it when it was not done.
    @discardableResult
    public func start() async throws -> Int {
        let proceed = try state.withLock { s -> Bool in
            if s.server != nil { return false }
            if s.starting { throw SignalingError.misuse("the WHIP endpoint is already starting") }
            s.starting = true
            return true
        }
        if !proceed { return port ?? 0 }
        let router = Router()
        router.add(middleware: WHIPCORSMiddleware(policy: corsPolicy, pathPrefix: path))
        router.post(RouterPath(stringLiteral: path)) { [self] request, _ -> Response in
            try await post(request)
        }
        router.delete(RouterPath(stringLiteral: path + "/:session")) { [self] request, context -> Response in
            delete(request, session: context.parameters.get("session") ?? "")
        }
        router.patch(RouterPath(stringLiteral: path + "/:session")) { [self] request, context -> Response in
            try await patch(request, session: context.parameters.get("session") ?? "")
        }
        router.whipOptions(path, policy: corsPolicy)
        router.whipOptions(path + "/:session", policy: corsPolicy)
        let listen = self.listen, logger = self.logger
        do {
            let server = try await BackgroundServer.start { onRunning in
                Application(router: router, configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "tincan"),
                            onServerRunning: onRunning, logger: logger)
            }
            state.withLock { $0.server = server; $0.starting = false }
            return server.port
        } catch {
            state.withLock { $0.starting = false }
            throw error
        }
    }

    public func receiveOffer() async throws -> String {
        try await start()
        return try await offers.receive()
    }

    public func sendAnswer(_ sdp: String) async throws {
        try verdictBox().put(.answer(sdp))
    }

    /// Answers the pending POST with 400 and `reason` (RFC 9725 §4.2: a malformed offer);
    /// the endpoint then waits for the next offer.
    public func rejectOffer(reason: String) async throws -> Bool {
        try verdictBox().put(.reject(reason))
        return true
    }

    private func verdictBox() throws -> Mailbox<Verdict> {
        guard let box = state.withLock({ $0.pending?.verdict }) else {
            throw SignalingError.misuse("sendAnswer or rejectOffer needs an offer from receiveOffer first")
        }
        return box
    }

    /// Returns when the WHIP client DELETEs its session (the end of the call), or throws
    /// when the endpoint is closed first.
    public func ended() async throws {
        try await endedBox.receive()
    }

    /// Stops the server.
    public func close() async throws {
        let (server, pending) = state.withLock { s -> (BackgroundServer?, Pending?) in
            defer { s.server = nil; s.pending = nil }
            return (s.server, s.pending)
        }
        let closed = SignalingError.connectionClosed("the WHIP endpoint was closed")
        pending?.verdict.fail(closed)
        offers.fail(closed)
        endedBox.fail(closed)
        remoteCandidateSink.finish()
        await server?.stop()
    }

    // MARK: - HTTP

    private func authorized(_ request: Request) -> Bool {
        guard let bearerToken else { return true }
        guard let value = request.headers[.authorization] else { return false }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        let presented = Array(parts[1].utf8), expected = Array(bearerToken.utf8)
        var diff = UInt8(presented.count == expected.count ? 0 : 1)
        for i in 0..<max(presented.count, expected.count) {
            diff |= (i < presented.count ? presented[i] : 0) ^ (i < expected.count ? expected[i] : 0)
        }
        return diff == 0
    }

    private static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
    }

    private func post(_ request: Request) async throws -> Response {
        guard authorized(request) else {
            var r = Self.text(.unauthorized, "this endpoint needs a bearer token: Authorization: Bearer TOKEN")
            r.headers[.wwwAuthenticate] = "Bearer"
            return r
        }
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "application/sdp" else {
            return Self.text(.unsupportedMediaType, "a WHIP offer is sent with Content-Type: application/sdp")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxOfferBytes, within: Self.bodyTimeout)
        } catch SignalingError.timeout {
            return Self.text(.requestTimeout, "the offer did not arrive within \(Self.bodyTimeout)")
        } catch {
            return Self.text(.contentTooLarge, "an offer may have at most \(maxOfferBytes) bytes")
        }
        let offer = String(buffer: body)
        if let problem = SDPOfferShape.problem(offer) {
            return Self.text(.badRequest, "not an SDP offer: \(problem)")
        }
        let session = UUID().uuidString.lowercased()
        let verdict = Mailbox<Verdict>()
        let taken = state.withLock { s -> Bool in
            if s.pending != nil || s.session != nil { return false }
            s.pending = Pending(session: session, verdict: verdict)
            return true
        }
        guard taken else { return Self.text(.conflict, "this endpoint takes one session, and it has one") }
        offers.put(offer)
        let outcome: Verdict
        do {
            outcome = try await verdict.receive(timeout: answerTimeout, "the answer")
        } catch SignalingError.timeout {
            release(session)
            return Self.text(.gatewayTimeout, "no answer within \(answerTimeout)")
        } catch {
            release(session)
            return Self.text(.serviceUnavailable, "no answer: \(error)")
        }
        switch outcome {
        case .reject(let reason):
            release(session)
            logger.info("refused a WHIP offer: \(reason)")
            return Self.text(.badRequest, reason)
        case .answer(let answer):
            let entityTag = EntityTag.random()
            state.withLock { s in
                if s.pending?.session == session { s.pending = nil }
                s.session = session
                s.entityTag = entityTag
                s.offerIdentity = TrickleICEFragment.DescriptionIdentity(description: offer)
            }
            return Response(status: .created,
                            headers: [.contentType: "application/sdp", .location: "\(path)/\(session)", .eTag: entityTag,
                                      .acceptPatch: TrickleICEFragment.mediaType],
                            body: .init(byteBuffer: ByteBuffer(string: answer)))
        }
    }

    /// Frees the slot an offer took, so the next POST can have it.
    private func release(_ session: String) {
        state.withLock { s in if s.pending?.session == session { s.pending = nil } }
    }

    private func delete(_ request: Request, session: String) -> Response {
        guard authorized(request) else { return Self.text(.unauthorized, "this endpoint needs a bearer token") }
        let matched = state.withLock { s -> Bool in s.session == session }
        guard matched else { return Self.text(.notFound, "no such session") }
        endedBox.put(())
        return Response(status: .ok)
    }

    /// A trickle PATCH (RFC 9725 §4.3.1, §4.3.2). The order of the checks: who (401), which
    /// session (404), what kind of body (415), the ICE session (`If-Match`, 412), the body
    /// (413, 408, 400), its credentials (422: an ICE restart, which this endpoint does not do).
    private func patch(_ request: Request, session: String) async throws -> Response {
        guard authorized(request) else { return Self.text(.unauthorized, "this endpoint needs a bearer token") }
        guard let (entityTag, identity) = state.withLock({ s in s.session == session ? (s.entityTag, s.offerIdentity) : nil }) else {
            return Self.text(.notFound, "no such session")
        }
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == TrickleICEFragment.mediaType else {
            var r = Self.text(.unsupportedMediaType, "trickled candidates are sent with Content-Type: \(TrickleICEFragment.mediaType) (RFC 8840)")
            r.headers[.acceptPatch] = TrickleICEFragment.mediaType
            return r
        }
        let ifMatch = request.headers[.ifMatch]
        guard EntityTag.ifMatch(ifMatch, current: entityTag) else {
            return Self.text(.preconditionFailed, "If-Match does not name this session's ICE session (its ETag is \(entityTag))")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxOfferBytes, within: Self.bodyTimeout)
        } catch SignalingError.timeout {
            return Self.text(.requestTimeout, "the fragment did not arrive within \(Self.bodyTimeout)")
        } catch {
            return Self.text(.contentTooLarge, "a fragment may have at most \(maxOfferBytes) bytes")
        }
        let fragment: TrickleICEFragment
        do throws(TrickleICEFragment.ParseError) {
            fragment = try TrickleICEFragment(parsing: String(buffer: body))
        } catch {
            return Self.text(.badRequest, "not a trickle-ice-sdpfrag: \(error.reason)")
        }
        if let problem = fragment.restartProblem(offer: identity) {
            return Self.text(.unprocessableContent, problem)
        }
        deliver(fragment)
        return Response(status: .noContent)
    }

    /// The fragment's candidates and end-of-candidates to `remoteCandidates`, once each;
    /// candidates after the end, or past the limit, are counted and logged, not delivered.
    private func deliver(_ fragment: TrickleICEFragment) {
        var out: [String?] = []
        var ignored = 0
        state.withLock { s in
            for (candidate, _, _) in fragment.allCandidates {
                if s.trickle.endOfCandidates || s.trickle.candidates >= Self.maxRemoteCandidates { ignored += 1; continue }
                s.trickle.candidates += 1
                out.append(candidate)
            }
            if fragment.endsCandidates, !s.trickle.endOfCandidates {
                s.trickle.endOfCandidates = true
                out.append(nil)
            }
            s.trickle.ignored += ignored
        }
        if ignored > 0 {
            logger.notice("ignored \(ignored) trickled candidate(s): after end-of-candidates (RFC 8838 §13) or over \(Self.maxRemoteCandidates)")
        }
        for c in out { remoteCandidateSink.yield(c) }
    }
}
