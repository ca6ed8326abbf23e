#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import Synchronization
import NetworkPrimitives

/// One real UDP socket. NIO reads it (a `DatagramBootstrap` channel on the agent's loop);
/// datagrams go out with `sendto` on a descriptor of this socket's own, a duplicate of the
/// channel's: media is a hundred or more datagrams a second to one peer, and NIO's write
/// (a `ByteBuffer`, a promise and its callback, the pipeline, the pending-writes queue) cost
/// an eighth of the sending loop's time beside `sendmsg` itself and four allocations per
/// datagram (docs/performance.md, round 7).
///
/// A datagram the kernel refuses is counted by the caller's `failed`, as NIO's failed
/// promise did, and so is one it has no room for (`EAGAIN`, a full send buffer): dropped,
/// not queued, as libwebrtc's UDP socket drops it (the pacer bounds what one call writes;
/// NACK recovers the packet).
final class UDPDatagramSocket: ICEDatagramSocket {
    let channel: any Channel
    let localAddress: TransportAddress
    /// `sendto` under the sender's lock: any thread.
    var sendsFromAnyThread: Bool { true }
    /// The send descriptor and the last destination in the kernel's form (media goes to one
    /// peer; converting the address for every datagram cost an allocation each). The lock is
    /// held over `sendto` so that `close()` cannot close the descriptor under a send.
    private let sender: Mutex<Sender>

    private struct Sender {
        /// -1 once closed.
        var descriptor: CInt
        var destination: TransportAddress?
        var address = sockaddr_storage()
        var addressLength: socklen_t = 0
    }

    private init(channel: any Channel, localAddress: TransportAddress, sendDescriptor: CInt) {
        self.channel = channel
        self.localAddress = localAddress
        self.sender = Mutex(Sender(descriptor: sendDescriptor))
    }

    deinit {
        sender.withLock { if $0.descriptor >= 0 { _ = Glibc.close($0.descriptor) } }
    }

    /// Binds a socket on `ip` (any port) and hands its datagrams to `receive` on `eventLoop`.
    static func bind(
        ip: IPAddress, eventLoop: any EventLoop,
        receive: @escaping @Sendable ([UInt8], TransportAddress, TransportAddress) -> Void
    ) async throws -> UDPDatagramSocket {
        let address = TransportAddress(ip: ip, port: 0).socketAddress
        let family = address.protocol.rawValue
        let descriptor = Glibc.socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        let bound = address.withSockAddr { Glibc.bind(descriptor, $0, socklen_t($1)) }
        let sendDescriptor = bound == 0 ? fcntl(descriptor, F_DUPFD_CLOEXEC, 0) : -1
        guard sendDescriptor >= 0 else {
            let error = IOError(errnoCode: errno, reason: bound == 0 ? "dup" : "bind \(ip)")
            _ = Glibc.close(descriptor)
            throw error
        }
        // From here the channel owns `descriptor` (NIO closes it, also when this fails).
        let channel: any Channel
        do {
            channel = try await DatagramBootstrap(group: eventLoop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(UDPReceiveHandler(receive: receive))
                    }
                }
                .withBoundSocket(descriptor)
                .get()
        } catch {
            _ = Glibc.close(sendDescriptor)
            throw error
        }
        guard let local = channel.localAddress, let localAddress = TransportAddress(local) else {
            _ = Glibc.close(sendDescriptor)
            try? await channel.close()  // the error to report is the one below
            throw ICEError.failed("the socket bound on \(ip) has no address")
        }
        return UDPDatagramSocket(channel: channel, localAddress: localAddress, sendDescriptor: sendDescriptor)
    }

    func send(_ payload: [UInt8], to destination: TransportAddress) {
        send(payload, to: destination, failed: { _ in })
    }

    func send(_ payload: [UInt8], to destination: TransportAddress, failed: @escaping @Sendable (any Error) -> Void) {
        payload.withUnsafeBytes { send(bytes: $0, to: destination, failed: failed) }
    }

    func send(bytes: UnsafeRawBufferPointer, to destination: TransportAddress, failed: @escaping @Sendable (any Error) -> Void) {
        let result: CInt = sender.withLock { sender in
            guard sender.descriptor >= 0 else { return EBADF }
            if sender.destination != destination {
                sender.destination = destination
                sender.addressLength = destination.socketAddress.withSockAddr { address, length in
                    withUnsafeMutableBytes(of: &sender.address) { storage in
                        storage.copyMemory(from: UnsafeRawBufferPointer(start: address, count: length))
                    }
                    return socklen_t(length)
                }
            }
            let descriptor = sender.descriptor, length = sender.addressLength
            return withUnsafePointer(to: &sender.address) { storage in
                storage.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    while true {
                        if Glibc.sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), address, length) >= 0 { return 0 }
                        if errno != EINTR { return errno }
                    }
                }
            }
        }
        guard result != 0 else { return }
        failed(result == EBADF ? ChannelError.ioOnClosedChannel : IOError(errnoCode: result, reason: "sendto"))
    }

    func close() async {
        sender.withLock { sender in
            if sender.descriptor >= 0 { _ = Glibc.close(sender.descriptor) }
            sender.descriptor = -1
        }
        try? await channel.close()  // an error here leaves it closed all the same
    }
}

/// Hands each datagram of one socket to the agent.
final class UDPReceiveHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let receive: @Sendable ([UInt8], TransportAddress, TransportAddress) -> Void
    var local: TransportAddress?

    init(receive: @escaping @Sendable ([UInt8], TransportAddress, TransportAddress) -> Void) {
        self.receive = receive
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        if local == nil, let address = context.channel.localAddress { local = TransportAddress(address) }
        guard let local, let source = TransportAddress(envelope.remoteAddress) else { return }
        receive(Array(envelope.data.readableBytesView), source, local)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable and the like surface here on connection-less UDP; checks time out.
    }
}

