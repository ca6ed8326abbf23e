import NetworkPrimitives

/// A TURN server the agent allocates a relayed candidate on (RFC 8445 §5.1.1.2), with the
/// long-term credentials of `RTCIceServer.username` and `.credential` (RFC 8489 §9.2).
public struct TURNServer: Sendable, Equatable {
    public var address: TransportAddress
    public var transport: TURNTransport
    public var username: String
    public var password: String
    /// Over TLS: the name the certificate must carry (and SNI sends), the URL's host when it
    /// is a name; nil for an IP literal (the certificate chain is still verified).
    public var tlsServerName: String?

    public init(address: TransportAddress, transport: TURNTransport = .udp, username: String, password: String,
                tlsServerName: String? = nil) {
        self.address = address
        self.transport = transport
        self.username = username
        self.password = password
        self.tlsServerName = tlsServerName
    }
}
