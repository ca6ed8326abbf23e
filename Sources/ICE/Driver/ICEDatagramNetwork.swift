import NIOCore
import NIOPosix
import Synchronization
import NetworkPrimitives

/// Where an `ICEAgent`'s host sockets come from: UDP sockets on SwiftNIO by default, or a
/// simulated network in tests (the seam that lets a whole call run in simulated time, the way
/// pion's SettingEngine injects a virtual net).
public protocol ICEDatagramNetwork: Sendable {
    /// The local addresses that get host candidates (RFC 8445 §5.1.1.1).
    func hostAddresses(for configuration: ICEConfiguration) throws -> [IPAddress]
    /// Binds one socket on `ip` (any port). Every datagram it receives is handed to `receive`
    /// on `eventLoop`, with the address it came from and the socket's own address.
    func bind(
        ip: IPAddress, eventLoop: any EventLoop,
        receive: @escaping @Sendable (_ payload: [UInt8], _ source: TransportAddress, _ local: TransportAddress) -> Void
    ) async throws -> any ICEDatagramSocket
}

/// One bound socket. `send` is called on the agent's event loop.
public protocol ICEDatagramSocket: AnyObject, Sendable {
    var localAddress: TransportAddress { get }
    func send(_ payload: [UInt8], to destination: TransportAddress)
    /// As `send(_:to:)`, and calls `failed` (on the event loop) when the socket refuses the
    /// datagram, so the agent can count what would otherwise vanish.
    func send(_ payload: [UInt8], to destination: TransportAddress, failed: @escaping @Sendable (any Error) -> Void)
    /// As `send(_:to:failed:)` from bytes the caller owns, copied before it returns (a real
    /// socket into its buffer, without an array in between).
    func send(bytes: UnsafeRawBufferPointer, to destination: TransportAddress, failed: @escaping @Sendable (any Error) -> Void)
    func close() async
}

extension ICEDatagramSocket {
    /// A socket that cannot fail a send (a simulated network that only drops on purpose).
    public func send(_ payload: [UInt8], to destination: TransportAddress, failed: @escaping @Sendable (any Error) -> Void) {
        send(payload, to: destination)
    }

    /// The bytes as an array, for a socket that keeps datagrams (a simulated network).
    public func send(bytes: UnsafeRawBufferPointer, to destination: TransportAddress, failed: @escaping @Sendable (any Error) -> Void) {
        send(Array(bytes), to: destination, failed: failed)
    }
}

/// Real UDP sockets: one `DatagramBootstrap` channel per host address.
public struct UDPDatagramNetwork: ICEDatagramNetwork {
    public init() {}

    public func hostAddresses(for configuration: ICEConfiguration) throws -> [IPAddress] {
        try HostInterfaces.addresses(for: configuration)
    }

    public func bind(
        ip: IPAddress, eventLoop: any EventLoop,
        receive: @escaping @Sendable ([UInt8], TransportAddress, TransportAddress) -> Void
    ) async throws -> any ICEDatagramSocket {
        let channel = try await DatagramBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UDPReceiveHandler(receive: receive))
                }
            }
            .bind(to: TransportAddress(ip: ip, port: 0).socketAddress)
            .get()
        guard let local = channel.localAddress, let address = TransportAddress(local) else {
            try? await channel.close()  // the error to report is the one below
            throw ICEError.failed("the socket bound on \(ip) has no address")
        }
        return UDPDatagramSocket(channel: channel, localAddress: address)
    }
}

final class UDPDatagramSocket: ICEDatagramSocket {
    let channel: any Channel
    let localAddress: TransportAddress
    /// The last destination as NIO's address: media goes to one peer, and converting it (a
    /// `SocketAddress` is boxed) for every datagram cost an allocation each.
    private let lastDestination = Mutex<(TransportAddress, SocketAddress)?>(nil)

    init(channel: any Channel, localAddress: TransportAddress) {
        self.channel = channel
        self.localAddress = localAddress
    }

    func send(_ payload: [UInt8], to destination: TransportAddress) {
        send(payload, to: destination, failed: { _ in })
    }

    func send(_ payload: [UInt8], to destination: TransportAddress, failed: @escaping @Sendable (any Error) -> Void) {
        payload.withUnsafeBytes { send(bytes: $0, to: destination, failed: failed) }
    }

    func send(bytes: UnsafeRawBufferPointer, to destination: TransportAddress, failed: @escaping @Sendable (any Error) -> Void) {
        let buffer = channel.allocator.buffer(bytes: bytes)
        // NIO fails the write's promise with the sendmsg error and keeps the datagram channel open.
        let promise = channel.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenFailure(failed)
        let address = lastDestination.withLock { last -> SocketAddress in
            if let last, last.0 == destination { return last.1 }
            let address = destination.socketAddress
            last = (destination, address)
            return address
        }
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer), promise: promise)
    }

    func close() async { try? await channel.close() }  // an error here leaves it closed all the same
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

