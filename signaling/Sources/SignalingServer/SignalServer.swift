import Hummingbird
import HummingbirdCore
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
    /// What one WebSocket connection may have waiting to be sent; a peer that stops reading
    /// reaches it and is disconnected (close 1008) rather than growing the server.
    public var maxQueuedBytes: Int
    /// A new connection must send its HTTP request head within this time, and a WebSocket
    /// must then join a room within it again (half-open and idle sockets are closed).
    public var handshakeTimeout: Duration
    /// Open connections from one IP address at once; more get `429` and are closed.
    public var maxConnectionsPerAddress: Int
    /// Which web pages may use `/whip/ROOM` from a browser.
    public var corsPolicy: CORSPolicy
    /// The WebSocket ping period: a peer that has not answered a ping by the next one is
    /// closed, so a vanished peer frees its room.
    public var pingInterval: Duration

    public init(listen: HostPort, token: String? = nil, maxMessageBytes: Int = 64 * 1024,
                whipAnswerTimeout: Duration = .seconds(30), maxRooms: Int = 1000,
                maxQueuedBytes: Int = 1 << 20, handshakeTimeout: Duration = .seconds(10),
                maxConnectionsPerAddress: Int = 100, corsPolicy: CORSPolicy = .anyOrigin,
                pingInterval: Duration = .seconds(20)) {
        self.listen = listen
        self.token = token
        self.maxMessageBytes = maxMessageBytes
        self.whipAnswerTimeout = whipAnswerTimeout
        self.maxRooms = maxRooms
        self.maxQueuedBytes = maxQueuedBytes
        self.handshakeTimeout = handshakeTimeout
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.corsPolicy = corsPolicy
        self.pingInterval = pingInterval
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
    let connections: ConnectionCounter
    /// Send-queue overflows and drops, so a test (or a later stats page) can see the bounds work.
    public let counters = SignalServerCounters()

    public init(configuration: SignalServerConfiguration,
                logger: Logger = Logger(label: "tincan-signal", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.configuration = configuration
        self.logger = logger
        self.registry = RoomRegistry(maxRooms: configuration.maxRooms)
        self.whip = WHIPSessions()
        self.connections = ConnectionCounter(limitPerAddress: configuration.maxConnectionsPerAddress)
    }

    /// Binds and serves in the background; returns once listening.
    public func start() async throws -> RunningSignalServer {
        let router = Router(context: SignalRequestContext.self)
        router.add(middleware: WHIPCORSMiddleware(policy: configuration.corsPolicy, pathPrefix: SignalServerPaths.whip + "/"))
        router.get(RouterPath(stringLiteral: SignalServerPaths.page)) { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: WebPage.html)))
        }
        router.ws(RouterPath(stringLiteral: SignalServerPaths.webSocket)) { [self] inbound, outbound, context in
            await RoomConnection(server: self, logger: context.logger, channel: context.requestContext.channel)
                .run(inbound: inbound, outbound: outbound)
        }
        addWHIPRoutes(to: router)
        // Frames up to 4x the message limit reach the session, which answers an oversize
        // message with an `error` before closing; larger frames are closed by the
        // WebSocket layer with status 1009 (message too big).
        let frameLimit = max(configuration.maxMessageBytes * 4, 1 << 16)
        let configuration = self.configuration
        let logger = self.logger
        let webSocket = WebSocketServerConfiguration(
            maxFrameSize: frameLimit, autoPing: .enabled(timePeriod: configuration.pingInterval),
            // A peer told to go need not be waited for long (RoomConnection cuts it after 1 s).
            closeTimeout: .seconds(2))
        let channelConfiguration = HTTP1WebSocketUpgradeChannel.Configuration(
            http1: .init(idleTimeout: .seconds(60)), ws: webSocket)
        let webSocketResponder = router.buildResponder()
        let counter = connections
        let handshake = TimeAmount.nanoseconds(Int64(configuration.handshakeTimeout.components.seconds) * 1_000_000_000
            + configuration.handshakeTimeout.components.attoseconds / 1_000_000_000)
        let builder = HTTPServerBuilder { responder in
            GuardedChannel(
                inner: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder, configuration: channelConfiguration),
                counter: counter, handshakeTimeout: handshake)
        }
        let server = try await BackgroundServer.start { onRunning in
            Application(
                router: router,
                server: builder,
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
