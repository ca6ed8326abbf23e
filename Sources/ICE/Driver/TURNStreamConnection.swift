import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NetworkPrimitives

/// Which TCP connection: from a host candidate's address to a TURN server, plain or TLS.
struct TURNStreamKey: Hashable {
    var base: TransportAddress
    var server: TransportAddress
    var transport: TURNTransport
}

/// One TCP or TLS connection to a TURN server (RFC 8656 §3.1), owned by `ICEAgentDriver` on its
/// event loop: messages written before the connection is up wait in `pending`. Bound to the
/// host candidate's IP, so the allocation's 5-tuple leaves from the same interface.
final class TURNStreamConnection {
    var channel: (any Channel)?
    var pending: [[UInt8]] = []

    func write(_ bytes: [UInt8]) {
        guard let channel else {
            pending.append(bytes)
            return
        }
        channel.writeAndFlush(channel.allocator.buffer(bytes: bytes), promise: nil)
    }

    func connected(_ channel: any Channel) {
        self.channel = channel
        let waiting = pending
        pending = []
        for bytes in waiting { write(bytes) }
    }

    func close() {
        channel?.close(promise: nil)
        channel = nil
        pending = []
    }

    /// Connects from `base`'s IP to `server`; each framed message and the end of the stream
    /// are handed to the driver on its loop. Over TLS, `tls` verifies the server's certificate
    /// (against `serverName` when there is one).
    static func connect(key: TURNStreamKey, tls: NIOSSLContext?, serverName: String?, eventLoop: any EventLoop,
                        box: NIOLoopBoundBox<ICEAgentDriver>) {
        ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(to: TransportAddress(ip: key.base.ip, port: 0).socketAddress)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHandler(TURNStreamHandler(key: key, box: box))
                }
            }
            .connect(to: key.server.socketAddress)
            .whenComplete { result in
                let driver = box.value
                switch result {
                case .success(let channel):
                    if let connection = driver.streams[key] {
                        connection.connected(channel)
                    } else {
                        channel.close(promise: nil)  // the agent closed meanwhile
                    }
                case .failure(let error):
                    ICELog.logger.warning("cannot connect to TURN server \(key.server) over \(key.transport.rawValue.uppercased()): \(error)")
                    driver.streamClosed(key)
                }
            }
    }
}

/// Splits a TURN server's TCP stream into messages (`TURNStreamFramer`) for the driver.
final class TURNStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let key: TURNStreamKey
    let box: NIOLoopBoundBox<ICEAgentDriver>
    var framer = TURNStreamFramer()

    init(key: TURNStreamKey, box: NIOLoopBoundBox<ICEAgentDriver>) {
        self.key = key
        self.box = box
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let messages = framer.append(buffer.readableBytesView)
        for message in messages { box.value.receiveStream(message, key: key) }
        if framer.broken {
            ICELog.logger.warning("TURN server \(key.server) sent bytes that are neither STUN nor ChannelData: closing the connection")
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        box.value.streamClosed(key)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A TLS failure (an untrusted certificate, say) is the reason the allocation fails.
        let message: Logger.Message = "\(key.transport.rawValue.uppercased()) connection to TURN server \(key.server): \(error)"
        if key.transport == .tls { ICELog.logger.warning(message) } else { ICELog.logger.debug(message) }
        context.close(promise: nil)
    }
}
