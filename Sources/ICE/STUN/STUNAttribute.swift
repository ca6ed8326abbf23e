import NetworkPrimitives

/// Attribute type codes used here (RFC 8489 §18.3, RFC 8445 §16.1, RFC 8656 §18).
public enum STUNAttributeType {
    public static let mappedAddress: UInt16 = 0x0001
    public static let username: UInt16 = 0x0006
    public static let messageIntegrity: UInt16 = 0x0008
    public static let errorCode: UInt16 = 0x0009
    public static let unknownAttributes: UInt16 = 0x000A
    public static let realm: UInt16 = 0x0014
    public static let nonce: UInt16 = 0x0015
    public static let messageIntegritySHA256: UInt16 = 0x001C
    public static let passwordAlgorithm: UInt16 = 0x001D
    public static let passwordAlgorithms: UInt16 = 0x8002
    public static let channelNumber: UInt16 = 0x000C
    public static let lifetime: UInt16 = 0x000D
    public static let xorPeerAddress: UInt16 = 0x0012
    public static let data: UInt16 = 0x0013
    public static let xorRelayedAddress: UInt16 = 0x0016
    public static let requestedAddressFamily: UInt16 = 0x0017
    public static let requestedTransport: UInt16 = 0x0019
    public static let dontFragment: UInt16 = 0x001A
    public static let xorMappedAddress: UInt16 = 0x0020
    public static let priority: UInt16 = 0x0024
    public static let useCandidate: UInt16 = 0x0025
    public static let software: UInt16 = 0x8022
    public static let fingerprint: UInt16 = 0x8028
    public static let iceControlled: UInt16 = 0x8029
    public static let iceControlling: UInt16 = 0x802A
}

/// One STUN attribute, decoded. MESSAGE-INTEGRITY and FINGERPRINT are not attributes of this
/// enum: the encoder adds them and the parser checks them (see `STUNMessage`).
public enum STUNAttribute: Hashable, Sendable {
    case mappedAddress(TransportAddress)
    case xorMappedAddress(TransportAddress)
    case username(String)
    case software(String)
    case realm(String)
    case nonce(String)
    /// RFC 8445 §7.1.1: the priority the sender's peer-reflexive candidate would have.
    case priority(UInt32)
    /// RFC 8445 §7.1.2: the controlling agent nominates this pair.
    case useCandidate
    /// RFC 8445 §7.1.3: the sender believes it is controlling; the value is its tie-breaker.
    case iceControlling(UInt64)
    case iceControlled(UInt64)
    /// RFC 8489 §14.8: a class 3-6 code and a reason phrase.
    case errorCode(code: Int, reason: String)
    /// RFC 8489 §14.11-14.12: the algorithm the client chose, and the server's list.
    case passwordAlgorithm(STUNPasswordAlgorithm)
    case passwordAlgorithms([STUNPasswordAlgorithm])
    /// RFC 8656 §18.1: a channel number (0x4000-0x4FFF), then two reserved bytes.
    case channelNumber(UInt16)
    /// RFC 8656 §18.2: the allocation's (or the requested) lifetime in seconds.
    case lifetime(UInt32)
    /// RFC 8656 §18.3: a peer's address, XORed like XOR-MAPPED-ADDRESS.
    case xorPeerAddress(TransportAddress)
    /// RFC 8656 §18.4: the application data of a Send or Data indication.
    case data([UInt8])
    /// RFC 8656 §18.5: the relayed transport address the server allocated.
    case xorRelayedAddress(TransportAddress)
    /// RFC 8656 §18.6: the protocol number of the relayed transport (17, UDP).
    case requestedTransport(UInt8)
    case unknown(type: UInt16, value: [UInt8])

    public var type: UInt16 {
        switch self {
        case .mappedAddress: STUNAttributeType.mappedAddress
        case .xorMappedAddress: STUNAttributeType.xorMappedAddress
        case .username: STUNAttributeType.username
        case .software: STUNAttributeType.software
        case .realm: STUNAttributeType.realm
        case .nonce: STUNAttributeType.nonce
        case .priority: STUNAttributeType.priority
        case .useCandidate: STUNAttributeType.useCandidate
        case .iceControlling: STUNAttributeType.iceControlling
        case .iceControlled: STUNAttributeType.iceControlled
        case .errorCode: STUNAttributeType.errorCode
        case .passwordAlgorithm: STUNAttributeType.passwordAlgorithm
        case .passwordAlgorithms: STUNAttributeType.passwordAlgorithms
        case .channelNumber: STUNAttributeType.channelNumber
        case .lifetime: STUNAttributeType.lifetime
        case .xorPeerAddress: STUNAttributeType.xorPeerAddress
        case .data: STUNAttributeType.data
        case .xorRelayedAddress: STUNAttributeType.xorRelayedAddress
        case .requestedTransport: STUNAttributeType.requestedTransport
        case .unknown(let type, _): type
        }
    }

    /// Decodes a value. `transactionID` is needed for XOR-MAPPED-ADDRESS over IPv6.
    static func decode(type: UInt16, value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) -> STUNAttribute {
        let v = Array(value)
        switch type {
        case STUNAttributeType.mappedAddress:
            return .mappedAddress(try decodeAddress(v, type: type, xorKey: nil))
        case STUNAttributeType.xorMappedAddress:
            return .xorMappedAddress(try decodeAddress(v, type: type, xorKey: xorKey(transactionID)))
        case STUNAttributeType.username:
            return .username(try text(v, type: type, max: 513))
        case STUNAttributeType.software:
            return .software(try text(v, type: type, max: 763))
        case STUNAttributeType.realm:
            return .realm(try text(v, type: type, max: 763))
        case STUNAttributeType.nonce:
            return .nonce(try text(v, type: type, max: 763))
        case STUNAttributeType.priority:
            guard v.count == 4 else { throw .malformedAttribute(type: type) }
            return .priority(be32(v, 0))
        case STUNAttributeType.useCandidate:
            guard v.isEmpty else { throw .malformedAttribute(type: type) }
            return .useCandidate
        case STUNAttributeType.iceControlling, STUNAttributeType.iceControlled:
            guard v.count == 8 else { throw .malformedAttribute(type: type) }
            let tieBreaker = UInt64(be32(v, 0)) << 32 | UInt64(be32(v, 4))
            return type == STUNAttributeType.iceControlling ? .iceControlling(tieBreaker) : .iceControlled(tieBreaker)
        case STUNAttributeType.errorCode:
            guard v.count >= 4, v[0] == 0, v[1] == 0 else { throw .malformedAttribute(type: type) }
            let hundreds = Int(v[2] & 0x07), rest = Int(v[3])
            guard (3...6).contains(hundreds), rest < 100 else { throw .malformedAttribute(type: type) }
            return .errorCode(code: hundreds * 100 + rest, reason: try text(Array(v[4...]), type: type, max: 763))
        case STUNAttributeType.passwordAlgorithm:
            let list = try STUNPasswordAlgorithm.decodeList(v, type: type)
            guard list.count == 1 else { throw .malformedAttribute(type: type) }
            return .passwordAlgorithm(list[0])
        case STUNAttributeType.passwordAlgorithms:
            return .passwordAlgorithms(try STUNPasswordAlgorithm.decodeList(v, type: type))
        case STUNAttributeType.channelNumber:
            guard v.count == 4 else { throw .malformedAttribute(type: type) }
            return .channelNumber(UInt16(v[0]) << 8 | UInt16(v[1]))
        case STUNAttributeType.lifetime:
            guard v.count == 4 else { throw .malformedAttribute(type: type) }
            return .lifetime(be32(v, 0))
        case STUNAttributeType.xorPeerAddress:
            return .xorPeerAddress(try decodeAddress(v, type: type, xorKey: xorKey(transactionID)))
        case STUNAttributeType.data:
            return .data(v)
        case STUNAttributeType.xorRelayedAddress:
            return .xorRelayedAddress(try decodeAddress(v, type: type, xorKey: xorKey(transactionID)))
        case STUNAttributeType.requestedTransport:
            guard v.count == 4 else { throw .malformedAttribute(type: type) }
            return .requestedTransport(v[0])
        default:
            return .unknown(type: type, value: v)
        }
    }

    /// The encoded value, without header or padding.
    func encodedValue(transactionID: STUNTransactionID) -> [UInt8] {
        switch self {
        case .mappedAddress(let a): return Self.encodeAddress(a, xorKey: nil)
        case .xorMappedAddress(let a): return Self.encodeAddress(a, xorKey: Self.xorKey(transactionID))
        case .username(let s), .software(let s), .realm(let s), .nonce(let s): return Array(s.utf8)
        case .priority(let p): return be32Bytes(p)
        case .useCandidate: return []
        case .iceControlling(let t), .iceControlled(let t):
            return be32Bytes(UInt32(truncatingIfNeeded: t >> 32)) + be32Bytes(UInt32(truncatingIfNeeded: t))
        case .errorCode(let code, let reason):
            return [0, 0, UInt8(truncatingIfNeeded: code / 100), UInt8(truncatingIfNeeded: code % 100)] + Array(reason.utf8)
        case .passwordAlgorithm(let a): return a.encoded
        case .passwordAlgorithms(let list): return list.flatMap(\.encoded)
        case .channelNumber(let n): return [UInt8(n >> 8), UInt8(truncatingIfNeeded: n), 0, 0]
        case .lifetime(let seconds): return be32Bytes(seconds)
        case .xorPeerAddress(let a), .xorRelayedAddress(let a): return Self.encodeAddress(a, xorKey: Self.xorKey(transactionID))
        case .data(let bytes): return bytes
        case .requestedTransport(let proto): return [proto, 0, 0, 0]
        case .unknown(_, let value): return value
        }
    }

    /// The magic cookie followed by the transaction ID: the XOR key of RFC 8489 §14.2.
    private static func xorKey(_ id: STUNTransactionID) -> [UInt8] {
        be32Bytes(STUNMessage.magicCookie) + id.networkBytes
    }

    private static func decodeAddress(_ v: [UInt8], type: UInt16, xorKey: [UInt8]?) throws(STUNError) -> TransportAddress {
        guard v.count >= 4, v[0] == 0 else { throw .malformedAttribute(type: type) }
        let family = v[1]
        let length = family == 0x01 ? 4 : family == 0x02 ? 16 : 0
        guard length > 0, v.count == 4 + length else { throw .malformedAttribute(type: type) }
        var port = UInt16(v[2]) << 8 | UInt16(v[3])
        var address = Array(v[4...])
        if let key = xorKey {
            port ^= UInt16(key[0]) << 8 | UInt16(key[1])
            for i in address.indices { address[i] ^= key[i] }
        }
        guard let ip = IPAddress(bytes: address) else { throw .malformedAttribute(type: type) }
        return TransportAddress(ip: ip, port: port)
    }

    private static func encodeAddress(_ a: TransportAddress, xorKey: [UInt8]?) -> [UInt8] {
        var port = a.port
        var address = a.ip.bytes
        if let key = xorKey {
            port ^= UInt16(key[0]) << 8 | UInt16(key[1])
            for i in address.indices { address[i] ^= key[i] }
        }
        return [0, a.ip.isIPv6 ? 0x02 : 0x01, UInt8(port >> 8), UInt8(truncatingIfNeeded: port)] + address
    }

    private static func text(_ v: [UInt8], type: UInt16, max: Int) throws(STUNError) -> String {
        guard v.count <= max, let s = String(validating: v, as: UTF8.self) else {
            throw .malformedAttribute(type: type)
        }
        return s
    }
}

func be32(_ b: [UInt8], _ i: Int) -> UInt32 {
    UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
}

func be32Bytes(_ v: UInt32) -> [UInt8] {
    [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
}
