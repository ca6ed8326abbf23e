import NIOCore
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

/// One bound socket. `send` is called on the agent's event loop, and from any thread when
/// `sendsFromAnyThread` says it may be.
public protocol ICEDatagramSocket: AnyObject, Sendable {
    var localAddress: TransportAddress { get }
    /// Whether `send` may be called from any thread (a real socket: `sendto` is); the media
    /// path then sends without a hop to the loop (`ICESendRoute`).
    var sendsFromAnyThread: Bool { get }
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
    /// A socket is used on its agent's loop only, unless it says otherwise.
    public var sendsFromAnyThread: Bool { false }

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
        try await UDPDatagramSocket.bind(ip: ip, eventLoop: eventLoop, receive: receive)
    }
}
