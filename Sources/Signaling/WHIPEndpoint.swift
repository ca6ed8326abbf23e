import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A tiny WHIP endpoint (RFC 9725 §4.2) for a receiver: it listens, takes one offer by POST,
/// hands it to `receiveOffer()`, answers the POST with the SDP given to `sendAnswer` as
/// `201 Created` with a `Location`, and observes the DELETE of that session (`ended()`).
/// One session at a time: a second POST gets 409.
public final class WHIPEndpoint: OfferAnswering, Sendable {
    public let listen: HostPort
    public let path: String
    public let bearerToken: String?
    public let answerTimeout: Duration
    public let maxOfferBytes: Int

    private let logger: Logger
    private let offers = Mailbox<String>()
    private let answers = Mailbox<String>()
    private let endedBox = Mailbox<Void>()
    private struct State {
        var server: BackgroundServer?
        var starting = false
        var session: String?
        var answered = false
    }
    private let state = Mutex(State())

    public init(listen: HostPort, path: String = "/whip", bearerToken: String? = nil,
                answerTimeout: Duration = .seconds(30), maxOfferBytes: Int = 64 * 1024,
                logger: Logger = Logger(label: "tincan.whip", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.listen = listen
        self.path = path.hasPrefix("/") ? path : "/" + path
        self.bearerToken = bearerToken
        self.answerTimeout = answerTimeout
        self.maxOfferBytes = maxOfferBytes
        self.logger = logger
    }

    public convenience init(listen: String, path: String = "/whip", bearerToken: String? = nil,
                            answerTimeout: Duration = .seconds(30)) throws {
        self.init(listen: try HostPort(parsing: listen), path: path, bearerToken: bearerToken, answerTimeout: answerTimeout)
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
        router.post(RouterPath(stringLiteral: path)) { [self] request, _ -> Response in
            try await post(request)
        }
        router.delete(RouterPath(stringLiteral: path + "/:session")) { [self] request, context -> Response in
            delete(request, session: context.parameters.get("session") ?? "")
        }
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
        let ok = state.withLock { s -> Bool in
            guard s.session != nil, !s.answered else { return false }
            s.answered = true
            return true
        }
        guard ok else { throw SignalingError.misuse("sendAnswer needs exactly one offer from receiveOffer first") }
        answers.put(sdp)
    }

    /// Returns when the WHIP client DELETEs its session (the end of the call), or throws
    /// when the endpoint is closed first.
    public func ended() async throws {
        try await endedBox.receive()
    }

    /// Stops the server.
    public func close() async throws {
        let server = state.withLock { s -> BackgroundServer? in defer { s.server = nil }; return s.server }
        answers.fail(SignalingError.connectionClosed("the WHIP endpoint was closed"))
        offers.fail(SignalingError.connectionClosed("the WHIP endpoint was closed"))
        endedBox.fail(SignalingError.connectionClosed("the WHIP endpoint was closed"))
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
            body = try await request.body.collect(upTo: maxOfferBytes)
        } catch {
            return Self.text(.contentTooLarge, "an offer may have at most \(maxOfferBytes) bytes")
        }
        let session = UUID().uuidString.lowercased()
        let taken = state.withLock { s -> Bool in
            if s.session != nil { return false }
            s.session = session
            return true
        }
        guard taken else { return Self.text(.conflict, "this endpoint takes one session, and it has one") }
        offers.put(String(buffer: body))
        let answer: String
        do {
            answer = try await answers.receive(timeout: answerTimeout, "the answer")
        } catch SignalingError.timeout {
            return Self.text(.gatewayTimeout, "no answer within \(answerTimeout)")
        } catch {
            return Self.text(.serviceUnavailable, "no answer: \(error)")
        }
        return Response(status: .created,
                        headers: [.contentType: "application/sdp", .location: "\(path)/\(session)"],
                        body: .init(byteBuffer: ByteBuffer(string: answer)))
    }

    private func delete(_ request: Request, session: String) -> Response {
        guard authorized(request) else { return Self.text(.unauthorized, "this endpoint needs a bearer token") }
        let matched = state.withLock { s -> Bool in
            guard s.session == session else { return false }
            return true
        }
        guard matched else { return Self.text(.notFound, "no such session") }
        endedBox.put(())
        return Response(status: .ok)
    }
}
