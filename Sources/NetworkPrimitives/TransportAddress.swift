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
        let hostPart: Substring, portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portPart = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard let ip = IPAddress(String(hostPart)), let port = UInt16(portPart) else { return nil }
        if !text.hasPrefix("[") && ip.isIPv6 { return nil }
        self.init(ip: ip, port: port)
    }

    public var description: String {
        ip.isIPv6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
