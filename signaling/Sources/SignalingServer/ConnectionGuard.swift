import NIOCore
import NIOHTTP1
import Synchronization

/// Open connections per remote address, shared by every connection of one server.
final class ConnectionCounter: Sendable {
    let limitPerAddress: Int
    private let counts = Mutex<[String: Int]>([:])

    init(limitPerAddress: Int) {
        self.limitPerAddress = limitPerAddress
    }

    /// Counts a new connection from `address`; false (and not counted) when it has its limit.
    func admit(_ address: String) -> Bool {
        counts.withLock { c in
            let n = c[address, default: 0]
            guard n < limitPerAddress else { return false }
            c[address] = n + 1
            return true
        }
    }

    func release(_ address: String) {
        counts.withLock { c in
            let n = c[address, default: 0]
            c[address] = n > 1 ? n - 1 : nil
        }
    }

    func count(_ address: String) -> Int { counts.withLock { $0[address, default: 0] } }
}

/// The first handler of every accepted connection (it sees the raw bytes): refuses an
/// address over its connection limit (`429`), closes a connection whose HTTP request head
/// has not arrived within the handshake timeout (half-open and slowloris sockets), and
/// writes the `400` that `HTTPParseErrorResponder` asks for.
///
/// Once the head has arrived, the HTTP layer's idle timeout and, after a WebSocket upgrade,
/// the room connection's own timers take over; the guard then only passes bytes on.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let counter: ConnectionCounter
    private let handshakeTimeout: TimeAmount
    private var address: String?
    private var counted = false
    private var refused = false
    /// How much of "\r\n\r\n" (the end of the request head) was seen last.
    private var headEndMatch = 0
    private var headSeen = false
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(counter: ConnectionCounter, handshakeTimeout: TimeAmount) {
        self.counter = counter
        self.handshakeTimeout = handshakeTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard address == nil else { return }
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        self.address = address
        guard counter.admit(address) else {
            refused = true
            respondAndClose(status: "429 Too Many Requests",
                            "this address has \(counter.limitPerAddress) connections open, the server's limit (--max-connections-per-address)")
            return
        }
        counted = true
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: handshakeTimeout) { [weak self] in
            guard let self, !self.headSeen, let context = self.context else { return }
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if refused { return }
        if !headSeen {
            let buffer = unwrapInboundIn(data)
            scanForHeadEnd(buffer)
            if headSeen { timer?.cancel(); timer = nil }
        }
        context.fireChannelRead(data)
    }

    /// Follows the bytes for CR LF CR LF across reads.
    private func scanForHeadEnd(_ buffer: ByteBuffer) {
        let pattern: [UInt8] = [13, 10, 13, 10]
        var match = headEndMatch
        buffer.withUnsafeReadableBytes { bytes in
            for b in bytes {
                if b == pattern[match] { match += 1 } else { match = b == 13 ? 1 : 0 }
                if match == 4 { break }
            }
        }
        headEndMatch = match
        if match == 4 { headSeen = true }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
        self.context = nil
    }

    private func finish() {
        timer?.cancel()
        timer = nil
        if counted, let address {
            counted = false
            counter.release(address)
        }
    }

    /// Writes a complete `Connection: close` response straight to the socket and closes.
    func respondAndClose(status: String, _ text: String) {
        guard let context else { return }
        let body = text + "\n"
        var buffer = context.channel.allocator.buffer(capacity: 128 + body.utf8.count)
        buffer.writeString("HTTP/1.1 \(status)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}

/// Sits right after the HTTP request decoder: a request NIO cannot parse (a negative
/// `Content-Length`, a broken request line) gets `400 Bad Request` with the reason instead
/// of a silent close. Hummingbird turns NIO's own error handling off in its upgrade pipeline.
final class HTTPParseErrorResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        // No guard in the pipeline (the lookup throws): close without the 400.
        if let connectionGuard = try? context.pipeline.syncOperations.handler(type: ConnectionGuard.self) {
            connectionGuard.respondAndClose(status: "400 Bad Request", "the request is not valid HTTP/1.1 (\(parseError))")
        } else {
            context.close(promise: nil)
        }
    }
}
