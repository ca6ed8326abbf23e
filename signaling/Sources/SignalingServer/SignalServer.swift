import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Signaling

/// What `tincan-signal serve` is told.
public struct SignalServerConfiguration: Sendable {
    /// Where to listen; port 0 picks a free port (see `RunningSignalServer.port`).
    public var listen: HostPort
    /// When set, WebSocket clients must send it in `join` and WHIP clients as a bearer token.
    public var token: String?
    /// The largest message accepted: a WebSocket message, or a WHIP offer body.
    public var maxMessageBytes: Int
    /// How long a WHIP POST waits for the room peer's answer before 504.
    public var whipAnswerTimeout: Duration
    /// How many rooms may exist at once.
    public var maxRooms: Int

    public init(listen: HostPort, token: String? = nil, maxMessageBytes: Int = 64 * 1024,
                whipAnswerTimeout: Duration = .seconds(30), maxRooms: Int = 1000) {
        self.listen = listen
        self.token = token
        self.maxMessageBytes = maxMessageBytes
        self.whipAnswerTimeout = whipAnswerTimeout
        self.maxRooms = maxRooms
    }
}

/// The paths the server answers on.
public enum SignalServerPaths {
    public static let page = "/"
    public static let webSocket = "/ws"
    public static let whip = "/whip"
}

/// The signaling server: rooms over WebSocket at `/ws`, WHIP (RFC 9725) at `/whip/{room}`,
/// and the web page at `/`.
public final class SignalServer: Sendable {
    public let configuration: SignalServerConfiguration
    let logger: Logger
    let registry: RoomRegistry
    let whip: WHIPSessions

    public init(configuration: SignalServerConfiguration,
                logger: Logger = Logger(label: "tincan-signal", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.configuration = configuration
        self.logger = logger
        self.registry = RoomRegistry(maxRooms: configuration.maxRooms)
        self.whip = WHIPSessions()
    }

    /// Binds and serves in the background; returns once listening.
    public func start() async throws -> RunningSignalServer {
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.get(RouterPath(stringLiteral: SignalServerPaths.page)) { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: WebPage.html)))
        }
        router.ws(RouterPath(stringLiteral: SignalServerPaths.webSocket)) { [self] inbound, outbound, context in
            await RoomConnection(server: self, logger: context.logger).run(inbound: inbound, outbound: outbound)
        }
        addWHIPRoutes(to: router)
        // Frames up to 4x the message limit reach the session, which answers an oversize
        // message with an `error` before closing; larger frames are closed by the
        // WebSocket layer with status 1009 (message too big).
        let frameLimit = max(configuration.maxMessageBytes * 4, 1 << 16)
        let configuration = self.configuration
        let logger = self.logger
        let server = try await BackgroundServer.start { onRunning in
            Application(
                router: router,
                server: .http1WebSocketUpgrade(webSocketRouter: router, configuration: .init(ws: .init(maxFrameSize: frameLimit))),
                configuration: .init(address: .hostname(configuration.listen.host, port: configuration.listen.port),
                                     serverName: "tincan-signal"),
                onServerRunning: onRunning,
                logger: logger
            )
        }
        return RunningSignalServer(server: server, host: configuration.listen.host)
    }

    /// Checks a presented token against the configured one (none configured: all pass).
    func authorized(_ presented: String?) -> Bool {
        guard let token = configuration.token else { return true }
        guard let presented else { return false }
        return constantTimeEquals(presented, token)
    }
}

/// A server that is listening.
public final class RunningSignalServer: Sendable {
    let server: BackgroundServer
    public let host: String

    init(server: BackgroundServer, host: String) {
        self.server = server
        self.host = host
    }

    /// The bound port (the real one when 0 was asked for).
    public var port: Int { server.port }

    /// Stops listening and closes every connection.
    public func stop() async { await server.stop() }

    /// Serves until the process ends or the server fails.
    public func wait() async throws { try await server.wait() }
}
