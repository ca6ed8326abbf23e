import ArgumentParser
import Foundation
import Logging
import Signaling
import SignalingServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the room server: WebSocket rooms at /ws, WHIP at /whip/ROOM, the call page at /.",
        discussion: """
        Rooms hold at most 2 peers; the server relays offers, answers, candidates and byes \
        between them (signaling/PROTOCOL.md). A browser joins with http://HOST:PORT/?room=NAME \
        (add &token=T when --token is set). The camera needs a secure context: localhost, or \
        https in front of this server.

        WHIP (RFC 9725): POST an application/sdp offer to /whip/ROOM and the peer waiting in the \
        room answers it: 201 Created with the answer and a Location to DELETE at the end.

        Examples:
          tincan-signal serve                                   (127.0.0.1:8080)
          tincan-signal serve --listen 0.0.0.0:8080 --token s3cret
          tincan-signal serve --listen 127.0.0.1:0              (a free port; the first line says which)
          curl -i -X POST -H 'Content-Type: application/sdp' --data-binary @offer.sdp http://127.0.0.1:8080/whip/kitchen

        Limits (each a flag): a connection must send its HTTP request within --handshake-timeout \
        seconds and a WebSocket must join a room within that time again; one IP address may hold \
        --max-connections-per-address connections (more get 429); a WebSocket that stops reading \
        is closed (1008) once --max-queued-bytes wait for it; peers that stop answering pings \
        (every 20 s) are closed.

        Browsers on other origins may POST to /whip/ROOM when --cors-origins allows their origin: \
        * (the default: any page; the --token still guards the server), none, or a list such as \
        https://app.example,https://studio.example. Preflight OPTIONS is answered, and Location, \
        Link and ETag are exposed to the page.

        The first line on standard output is "listening on http://HOST:PORT"; logs go to standard error.
        """
    )

    @Option(help: ArgumentHelp("Address to listen on: HOST:PORT, [IPv6]:PORT or :PORT (all interfaces). Port 0 picks a free port.", valueName: "address"))
    var listen: String = "127.0.0.1:8080"

    @Option(help: "Require this token from WebSocket clients (in \"join\") and WHIP clients (Authorization: Bearer).")
    var token: String?

    @Option(help: "The largest WebSocket message or WHIP offer accepted, in bytes; a larger one gets an error and the connection is closed.")
    var maxMessageBytes: Int = 64 * 1024

    @Option(help: "Seconds a WHIP POST waits for the room peer's answer before 504 Gateway Timeout.")
    var whipTimeout: Int = 30

    @Option(help: "How many rooms may exist at once.")
    var maxRooms: Int = 1000

    @Option(help: "Seconds a new connection has to send its HTTP request (and a WebSocket, then, its join).")
    var handshakeTimeout: Int = 10

    @Option(help: "Connections one IP address may have open at once.")
    var maxConnectionsPerAddress: Int = 100

    @Option(help: "Bytes a WebSocket may have waiting to be sent before it is closed as not reading (1008).")
    var maxQueuedBytes: Int = 1 << 20

    @Option(help: ArgumentHelp("Origins whose pages may use /whip/ROOM from a browser: * (any), none, or a comma-separated list of origins.", valueName: "origins"))
    var corsOrigins: String = "*"

    @Option(help: "Log level on standard error: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard maxMessageBytes >= 1024 else { throw ValidationError("--max-message-bytes must be at least 1024") }
        guard whipTimeout >= 1 else { throw ValidationError("--whip-timeout must be at least 1 second") }
        guard maxRooms >= 1 else { throw ValidationError("--max-rooms must be at least 1") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \(logLevel)") }
        if let token, token.isEmpty { throw ValidationError("--token must not be empty") }
        guard (1...3600).contains(handshakeTimeout) else { throw ValidationError("--handshake-timeout must be between 1 and 3600 seconds") }
        guard maxConnectionsPerAddress >= 1 else { throw ValidationError("--max-connections-per-address must be at least 1") }
        guard maxQueuedBytes >= maxMessageBytes else { throw ValidationError("--max-queued-bytes must be at least --max-message-bytes") }
        do { _ = try CORSPolicy(parsing: corsOrigins) } catch { throw ValidationError(error.description) }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        var logger = Logger(label: "tincan-signal") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        let address: HostPort
        do { address = try HostPort(parsing: listen) } catch let error as SignalingError { throw ValidationError(error.description) }
        let server = SignalServer(configuration: SignalServerConfiguration(
            listen: address, token: token, maxMessageBytes: maxMessageBytes,
            whipAnswerTimeout: .seconds(whipTimeout), maxRooms: maxRooms, maxQueuedBytes: maxQueuedBytes,
            handshakeTimeout: .seconds(handshakeTimeout), maxConnectionsPerAddress: maxConnectionsPerAddress,
            corsPolicy: try CORSPolicy(parsing: corsOrigins)), logger: logger)
        let running: RunningSignalServer
        do {
            running = try await server.start()
        } catch {
            throw CLIFailure("cannot listen on \(address): \(error)")
        }
        let shown = HostPort(host: address.host, port: running.port)
        // Unbuffered, so a script reading the first line gets it at once.
        FileHandle.standardOutput.write(Data("""
            listening on http://\(shown)
              page:      http://\(shown)/?room=NAME\(token == nil ? "" : "&token=TOKEN")
              WebSocket: ws://\(shown)\(SignalServerPaths.webSocket)
              WHIP:      http://\(shown)\(SignalServerPaths.whip)/NAME

            """.utf8))
        try await running.wait()
    }
}
