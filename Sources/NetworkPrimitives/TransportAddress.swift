/// An IP address and a UDP port: the "transport address" of RFC 8445.
public struct TransportAddress: Hashable, Sendable, CustomStringConvertible {
    public var ip: IPAddress
    public var port: UInt16

    public init(ip: IPAddress, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// Parses an IP literal and a port; nil when the text is not an IP address.
    public init?(_ ip: String, port: UInt16) {
        guard let address = IPAddress(ip) else { return nil }
        self.init(ip: address, port: port)
    }

    /// Parses "192.0.2.1:5000" or "[2001:db8::1]:5000" (RFC 3986 §3.2.2 brackets an IPv6
    /// literal); nil for anything else, including an unbracketed IPv6 address.
    public init?(_ text: String) {
        guard let parts = splitHostPort(text),
              let ip = IPAddress(String(parts.host)), let port = UInt16(parts.port) else { return nil }
        if !parts.bracketed && ip.isIPv6 { return nil }
        self.init(ip: ip, port: port)
    }

    public var description: String {
        ip.isIPv6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
