import NetworkPrimitives

/// A TURN server the agent allocates a relayed candidate on (RFC 8445 §5.1.1.2), with the
/// long-term credentials of `RTCIceServer.username` and `.credential` (RFC 8489 §9.2).
public struct TURNServer: Sendable, Equatable {
    public var address: TransportAddress
    public var transport: TURNTransport
    public var username: String
    public var password: String

    public init(address: TransportAddress, transport: TURNTransport = .udp, username: String, password: String) {
        self.address = address
        self.transport = transport
        self.username = username
        self.password = password
    }
}
