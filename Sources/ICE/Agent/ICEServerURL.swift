import NetworkPrimitives

/// A STUN or TURN server URI: `stun:host[:port]` and `stuns:` (RFC 7064),
/// `turn:host[:port][?transport=udp|tcp]` and `turns:` (RFC 7065). The host is a name, an
/// IPv4 literal or a bracketed IPv6 literal.
public struct ICEServerURL: Sendable, Equatable, CustomStringConvertible {
    public enum Scheme: String, Sendable {
        case stun, stuns, turn, turns

        /// RFC 7064 §3.1, RFC 7065 §3.1: 3478, or 5349 over TLS.
        public var defaultPort: UInt16 { self == .stuns || self == .turns ? 5349 : 3478 }
        public var isTURN: Bool { self == .turn || self == .turns }
    }

    public var scheme: Scheme
    public var host: String
    public var port: UInt16
    /// For TURN: UDP unless `?transport=tcp` (RFC 7065 §3.1); `turns:` is TLS over TCP.
    public var transport: TURNTransport

    /// The host as an IP literal, when it is one.
    public var ip: IPAddress? { IPAddress(host) }

    public init(_ text: String) throws(ICEServerURLError) {
        guard let colon = text.firstIndex(of: ":") else { throw .notAURL(text) }
        guard let scheme = Scheme(rawValue: text[..<colon].lowercased()) else {
            throw .unsupportedScheme(String(text[..<colon]))
        }
        var rest = Substring(text[text.index(after: colon)...])
        var query: Substring?
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        // RFC 7064/7065: no "//", no user info, no path.
        guard !rest.hasPrefix("//"), !rest.contains("/"), !rest.contains("@") else { throw .invalidHost(text) }
        // RFC 7064 §3.1: host [":" port], an IPv6 literal in brackets (splitHostPort's syntax).
        let host: Substring
        let portText: Substring?
        if let split = splitHostPort(String(rest)), split.bracketed || !split.host.contains(":") {
            (host, portText) = (split.host, split.port)
        } else if rest.hasPrefix("["), rest.hasSuffix("]") {
            (host, portText) = (rest.dropFirst().dropLast(), nil)
        } else if rest.contains(":") || rest.contains("[") {
            throw .invalidHost(text)
        } else {
            (host, portText) = (rest, nil)
        }
        if host.contains(":"), IPAddress(String(host))?.isIPv6 != true { throw .invalidHost(text) }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" }) else {
            throw .invalidHost(text)
        }
        var port = scheme.defaultPort
        if let portText {
            guard let p = UInt16(portText), p > 0 else { throw .invalidPort(String(portText)) }
            port = p
        }
        var transport: TURNTransport = scheme == .turns || scheme == .stuns ? .tls : .udp
        if let query {
            guard scheme.isTURN else { throw .invalidQuery(String(query)) }
            switch query.lowercased() {
            case "transport=udp":
                guard scheme == .turn else { throw .invalidQuery(String(query)) }
                transport = .udp
            case "transport=tcp": transport = scheme == .turns ? .tls : .tcp
            default: throw .invalidQuery(String(query))
            }
        }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        self.transport = transport
    }

    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        var s = "\(scheme.rawValue):\(h):\(port)"
        if scheme == .turn, transport == .tcp { s += "?transport=tcp" }
        return s
    }
}

/// Why an ICE server URL was refused.
public enum ICEServerURLError: Error, Equatable, Sendable, CustomStringConvertible {
    case notAURL(String)
    case unsupportedScheme(String)
    case invalidHost(String)
    case invalidPort(String)
    case invalidQuery(String)

    public var description: String {
        let form = "stun:HOST[:PORT], turn:HOST[:PORT][?transport=udp|tcp] or turns:HOST[:PORT]"
        switch self {
        case .notAURL(let s): return "\"\(s)\" is not an ICE server URL (\(form))"
        case .unsupportedScheme(let s): return "\"\(s):\" is not a STUN or TURN scheme (\(form))"
        case .invalidHost(let s): return "\"\(s)\" has no valid host (\(form); IPv6 in brackets)"
        case .invalidPort(let s): return "\"\(s)\" is not a port (1-65535)"
        case .invalidQuery(let s): return "\"?\(s)\": only turn: and turns: take ?transport=udp or ?transport=tcp (turns: only tcp)"
        }
    }
}
