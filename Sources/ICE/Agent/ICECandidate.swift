import NetworkPrimitives

/// RFC 8445 §5.1.1: how a candidate was obtained.
public enum ICECandidateType: String, Sendable, Hashable {
    case host
    case serverReflexive = "srflx"
    case peerReflexive = "prflx"
    case relayed = "relay"

    /// RFC 8445 §5.1.2.2 recommended type preferences.
    public var typePreference: UInt32 {
        switch self {
        case .host: 126
        case .peerReflexive: 110
        case .serverReflexive: 100
        case .relayed: 0
        }
    }
}

/// Why an `a=candidate` line was not accepted.
public enum ICECandidateParseError: Error, Equatable, Sendable {
    case notACandidate
    case missingField(String)
    case invalidField(String)
    /// A host name (e.g. mDNS `.local`) where an IP address was expected.
    case unresolvedAddress(String)
}

/// An ICE candidate (RFC 8445 §5.1) and its SDP form (RFC 8839 §5.1).
public struct ICECandidate: Hashable, Sendable, CustomStringConvertible {
    public var foundation: String
    /// 1 for RTP (with rtcp-mux the only component).
    public var component: Int
    /// "UDP" (this agent); "TCP" candidates are parsed but never paired.
    public var transport: String
    public var priority: UInt32
    public var address: TransportAddress
    public var type: ICECandidateType
    /// raddr/rport: the base of a reflexive candidate.
    public var relatedAddress: TransportAddress?
    /// Extension attributes after the mandatory fields (e.g. `generation 0`, `tcptype active`).
    public var extensions: [(String, String)]

    public init(foundation: String, component: Int = 1, transport: String = "UDP", priority: UInt32,
                address: TransportAddress, type: ICECandidateType, relatedAddress: TransportAddress? = nil,
                extensions: [(String, String)] = []) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.type = type
        self.relatedAddress = relatedAddress
        self.extensions = extensions
    }

    public var isUDP: Bool { transport.uppercased() == "UDP" }

    /// RFC 8445 §5.1.2.1: (2^24)*type + (2^8)*local + (256 - component).
    public static func priority(type: ICECandidateType, localPreference: UInt32, component: Int = 1) -> UInt32 {
        (type.typePreference << 24) | ((localPreference & 0xFFFF) << 8) | UInt32(256 - max(1, min(256, component)))
    }

    /// RFC 8445 §5.1.1.3: equal for candidates of the same type, base IP, STUN server and
    /// transport. Hashed to a short ice-char string (1-32 ice-chars, RFC 8839).
    public static func foundation(type: ICECandidateType, baseIP: IPAddress, server: TransportAddress?, transport: String = "UDP") -> String {
        let key = "\(type.rawValue)|\(baseIP)|\(server.map(\.description) ?? "")|\(transport.lowercased())"
        // FNV-1a: stable across runs (Swift's Hasher is seeded per process).
        var hash: UInt32 = 2_166_136_261
        for b in key.utf8 { hash = (hash ^ UInt32(b)) &* 16_777_619 }
        return String(hash)
    }

    /// The `candidate:` attribute value, without `a=` (RFC 8839 §5.1).
    public var sdpAttribute: String {
        var s = "candidate:\(foundation) \(component) \(transport) \(priority) \(address.ip) \(address.port) typ \(type.rawValue)"
        if let r = relatedAddress { s += " raddr \(r.ip) rport \(r.port)" }
        for (name, value) in extensions { s += " \(name) \(value)" }
        return s
    }

    /// The full `a=candidate:...` SDP line.
    public var sdpLine: String { "a=" + sdpAttribute }

    public var description: String { sdpAttribute }

    /// Parses `a=candidate:...`, `candidate:...` (as in RTCIceCandidate.candidate), or the
    /// bare value.
    public init(sdp line: String) throws(ICECandidateParseError) {
        var text = Substring(line.trimmingSpaces)
        if text.hasPrefix("a=") { text = text.dropFirst(2) }
        if text.hasPrefix("candidate:") { text = text.dropFirst("candidate:".count) }
        let fields = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count >= 8 else {
            throw fields.isEmpty ? .notACandidate : .missingField(fields.count < 8 ? "typ" : "")
        }
        let foundation = fields[0]
        guard (1...32).contains(foundation.count), foundation.allSatisfy(ICECredentials.iceChars.contains) else {
            throw .invalidField("foundation")
        }
        guard let component = Int(fields[1]), (1...256).contains(component) else { throw .invalidField("component-id") }
        guard let priority = UInt32(fields[3]), priority > 0 else { throw .invalidField("priority") }
        guard let port = UInt16(fields[5]) else { throw .invalidField("port") }
        guard let ip = IPAddress(fields[4]) else { throw .unresolvedAddress(fields[4]) }
        guard fields[6] == "typ" else { throw .missingField("typ") }
        guard let type = ICECandidateType(rawValue: fields[7]) else { throw .invalidField("cand-type") }
        var related: (ip: IPAddress?, port: UInt16?) = (nil, nil)
        var extensions: [(String, String)] = []
        var i = 8
        while i < fields.count {
            guard i + 1 < fields.count else { throw .missingField(fields[i]) }
            let name = fields[i], value = fields[i + 1]
            switch name {
            case "raddr":
                guard let r = IPAddress(value) else { throw .invalidField("raddr") }
                related.ip = r
            case "rport":
                guard let p = UInt16(value) else { throw .invalidField("rport") }
                related.port = p
            default:
                extensions.append((name, value))
            }
            i += 2
        }
        var relatedAddress: TransportAddress?
        if let rip = related.ip, let rport = related.port { relatedAddress = TransportAddress(ip: rip, port: rport) }
        self.init(foundation: foundation, component: component, transport: fields[2], priority: priority,
                  address: TransportAddress(ip: ip, port: port), type: type, relatedAddress: relatedAddress,
                  extensions: extensions)
    }

    public static func == (l: Self, r: Self) -> Bool {
        l.foundation == r.foundation && l.component == r.component && l.transport == r.transport
            && l.priority == r.priority && l.address == r.address && l.type == r.type
            && l.relatedAddress == r.relatedAddress
            && l.extensions.map { $0.0 + " " + $0.1 } == r.extensions.map { $0.0 + " " + $0.1 }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(foundation); hasher.combine(address); hasher.combine(type); hasher.combine(priority)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        // Character.isWhitespace also covers "\r\n", a single Character in Swift.
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
