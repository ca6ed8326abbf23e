import CZlib
import NetworkPrimitives

/// A STUN message (RFC 8489 §5-6): header, transaction ID and attributes.
///
/// MESSAGE-INTEGRITY and FINGERPRINT are not kept in `attributes`: `encoded(...)` appends
/// them, and parsing records where they were so that `verifyMessageIntegrity(key:)` can
/// check the bytes as received. Parsing throws on any malformed input; it never traps.
public struct STUNMessage: Sendable {
    /// RFC 8489 §5: the fixed value in bytes 4-7.
    public static let magicCookie: UInt32 = 0x2112_A442
    static let headerLength = 20

    public var type: STUNMessageType
    public var transactionID: STUNTransactionID
    public var attributes: [STUNAttribute]

    /// True when the parsed message carried MESSAGE-INTEGRITY.
    public private(set) var hasMessageIntegrity = false
    /// True when the parsed message carried MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6).
    public private(set) var hasMessageIntegritySHA256 = false
    /// True when the parsed message carried a FINGERPRINT (already verified by the parser).
    public private(set) var hasFingerprint = false
    /// Comprehension-required attribute types (0x0000-0x7FFF) this parser does not know.
    public private(set) var unknownComprehensionRequired: [UInt16] = []

    /// The received bytes and where MESSAGE-INTEGRITY's header starts in them.
    private var received: [UInt8] = []
    private var integrityOffset: Int?
    private var integritySHA256Offset: Int?
    private var integritySHA256Length = 0

    public init(type: STUNMessageType, transactionID: STUNTransactionID, attributes: [STUNAttribute] = []) {
        self.type = type
        self.transactionID = transactionID
        self.attributes = attributes
    }

    /// RFC 7983: a cheap test before a full parse (first byte 0-3, magic cookie in place).
    public static func looksLikeSTUN(_ bytes: some Collection<UInt8>) -> Bool {
        guard bytes.count >= headerLength else { return false }
        var it = bytes.makeIterator()
        var head = [UInt8]()
        head.reserveCapacity(8)
        for _ in 0..<8 { if let b = it.next() { head.append(b) } }
        return head[0] & 0xC0 == 0 && be32(head, 4) == magicCookie
    }

    /// Parses one datagram as a STUN message (RFC 8489 §6.3).
    public init(parsing bytes: [UInt8]) throws(STUNError) {
        guard bytes.count >= Self.headerLength else { throw .truncated }
        guard bytes[0] & 0xC0 == 0, be32(bytes, 4) == Self.magicCookie else { throw .notSTUN }
        let length = Int(bytes[2]) << 8 | Int(bytes[3])
        guard length % 4 == 0 else { throw .misalignedLength }
        guard bytes.count == Self.headerLength + length else { throw .truncated }
        guard let id = STUNTransactionID(bytes: bytes[8..<20]) else { throw .truncated }
        type = STUNMessageType(rawValue: UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
        transactionID = id
        attributes = []
        received = bytes

        var offset = Self.headerLength
        var sawIntegrity = false
        while offset < bytes.count {
            guard offset + 4 <= bytes.count else { throw .truncated }
            let attributeType = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
            let valueLength = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let valueStart = offset + 4
            guard valueStart + valueLength <= bytes.count else { throw .attributeOverflow(type: attributeType) }
            let value = bytes[valueStart..<(valueStart + valueLength)]
            let next = valueStart + (valueLength + 3) / 4 * 4
            if hasFingerprint {
                throw .attributeAfterIntegrity(type: attributeType)
            }
            switch attributeType {
            case STUNAttributeType.fingerprint:
                guard valueLength == 4 else { throw .malformedAttribute(type: attributeType) }
                let expected = Self.fingerprint(of: bytes[0..<offset], lengthThrough: next)
                guard be32(Array(value), 0) == expected else { throw .fingerprintMismatch }
                hasFingerprint = true
            case STUNAttributeType.messageIntegrity:
                guard valueLength == 20 else { throw .malformedAttribute(type: attributeType) }
                // RFC 8489 §14.6: MESSAGE-INTEGRITY-SHA256 may follow it, never precede it.
                if !sawIntegrity {
                    sawIntegrity = true
                    hasMessageIntegrity = true
                    integrityOffset = offset
                }
            case STUNAttributeType.messageIntegritySHA256:
                // RFC 8489 §14.6: 16 to 32 bytes, a multiple of four (a truncated HMAC).
                guard (16...32).contains(valueLength), valueLength % 4 == 0 else {
                    throw .malformedAttribute(type: attributeType)
                }
                if !hasMessageIntegritySHA256 {
                    sawIntegrity = true
                    hasMessageIntegritySHA256 = true
                    integritySHA256Offset = offset
                    integritySHA256Length = valueLength
                }
            default:
                // RFC 8489 §14.5: attributes after MESSAGE-INTEGRITY (but FINGERPRINT) are ignored.
                if !sawIntegrity {
                    let attribute = try STUNAttribute.decode(type: attributeType, value: value, transactionID: id)
                    if case .unknown(let t, _) = attribute, t < 0x8000 {
                        unknownComprehensionRequired.append(t)
                    }
                    attributes.append(attribute)
                }
            }
            guard next <= bytes.count else { throw .attributeOverflow(type: attributeType) }
            offset = next
        }
    }

    /// Checks MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) with the given key: the
    /// short-term password's bytes, or `STUNCredentials.longTermKey(...)`.
    public func verifyMessageIntegrity(key: [UInt8]) -> Bool {
        guard let start = integrityOffset, start + 24 <= received.count else { return false }
        var covered = Array(received[0..<start])
        let adjustedLength = start + 24 - Self.headerLength
        covered[2] = UInt8(truncatingIfNeeded: adjustedLength >> 8)
        covered[3] = UInt8(truncatingIfNeeded: adjustedLength)
        guard let mac = HMACSHA1.authenticate(covered, key: key) else { return false }
        return constantTimeEqual(mac, Array(received[(start + 4)..<(start + 24)]))
    }

    /// Checks MESSAGE-INTEGRITY-SHA256 (HMAC-SHA256, RFC 8489 §14.6), truncated or not.
    public func verifyMessageIntegritySHA256(key: [UInt8]) -> Bool {
        guard let start = integritySHA256Offset, start + 4 + integritySHA256Length <= received.count else { return false }
        var covered = Array(received[0..<start])
        let adjustedLength = start + 4 + integritySHA256Length - Self.headerLength
        covered[2] = UInt8(truncatingIfNeeded: adjustedLength >> 8)
        covered[3] = UInt8(truncatingIfNeeded: adjustedLength)
        guard let mac = HMACSHA256.authenticate(covered, key: key) else { return false }
        return constantTimeEqual(Array(mac.prefix(integritySHA256Length)),
                                 Array(received[(start + 4)..<(start + 4 + integritySHA256Length)]))
    }

    /// Encodes the message; with a key, appends MESSAGE-INTEGRITY; with `integritySHA256Key`,
    /// MESSAGE-INTEGRITY-SHA256 after it (RFC 8489 §14.6); with `fingerprint`,
    /// appends FINGERPRINT last. `padding` is the byte used to pad attribute values (any value
    /// is allowed; RFC 5769 uses spaces, which lets the tests compare bytes exactly).
    public func encoded(integrityKey: [UInt8]? = nil, integritySHA256Key: [UInt8]? = nil,
                        fingerprint: Bool = false, padding: UInt8 = 0) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(128)
        let typeValue = type.rawValue
        out += [UInt8(typeValue >> 8), UInt8(truncatingIfNeeded: typeValue), 0, 0]
        out += be32Bytes(Self.magicCookie)
        out += transactionID.networkBytes
        for attribute in attributes {
            Self.append(type: attribute.type, value: attribute.encodedValue(transactionID: transactionID), to: &out, padding: padding)
        }
        if let key = integrityKey {
            Self.setLength(&out, out.count + 24 - Self.headerLength)
            let mac = HMACSHA1.authenticate(out, key: key) ?? [UInt8](repeating: 0, count: 20)
            Self.append(type: STUNAttributeType.messageIntegrity, value: mac, to: &out, padding: padding)
        }
        if let key = integritySHA256Key {
            Self.setLength(&out, out.count + 36 - Self.headerLength)
            let mac = HMACSHA256.authenticate(out, key: key) ?? [UInt8](repeating: 0, count: 32)
            Self.append(type: STUNAttributeType.messageIntegritySHA256, value: mac, to: &out, padding: padding)
        }
        if fingerprint {
            let crc = Self.fingerprint(of: out[...], lengthThrough: out.count + 8)
            Self.setLength(&out, out.count + 8 - Self.headerLength)
            Self.append(type: STUNAttributeType.fingerprint, value: be32Bytes(crc), to: &out, padding: padding)
        }
        Self.setLength(&out, out.count - Self.headerLength)
        return out
    }

    // MARK: attribute accessors

    public var username: String? {
        for case .username(let u) in attributes { return u }
        return nil
    }

    public var xorMappedAddress: TransportAddress? {
        for case .xorMappedAddress(let a) in attributes { return a }
        for case .mappedAddress(let a) in attributes { return a }
        return nil
    }

    public var priority: UInt32? {
        for case .priority(let p) in attributes { return p }
        return nil
    }

    public var useCandidate: Bool {
        attributes.contains(.useCandidate)
    }

    public var iceControlling: UInt64? {
        for case .iceControlling(let t) in attributes { return t }
        return nil
    }

    public var iceControlled: UInt64? {
        for case .iceControlled(let t) in attributes { return t }
        return nil
    }

    public var realm: String? {
        for case .realm(let r) in attributes { return r }
        return nil
    }

    public var nonce: String? {
        for case .nonce(let n) in attributes { return n }
        return nil
    }

    public var errorCode: (code: Int, reason: String)? {
        for case .errorCode(let code, let reason) in attributes { return (code, reason) }
        return nil
    }

    // MARK: helpers

    private static func append(type: UInt16, value: [UInt8], to out: inout [UInt8], padding: UInt8) {
        out += [UInt8(type >> 8), UInt8(truncatingIfNeeded: type), UInt8(truncatingIfNeeded: value.count >> 8), UInt8(truncatingIfNeeded: value.count)]
        out += value
        let pad = (4 - value.count % 4) % 4
        if pad > 0 { out += [UInt8](repeating: padding, count: pad) }
    }

    private static func setLength(_ out: inout [UInt8], _ length: Int) {
        out[2] = UInt8(truncatingIfNeeded: length >> 8)
        out[3] = UInt8(truncatingIfNeeded: length)
    }

    /// RFC 8489 §14.7: CRC-32 (ITU-T V.42, zlib's `crc32_z`) of the message up to
    /// FINGERPRINT, with the header's length covering FINGERPRINT, XOR 0x5354554e.
    /// `lengthThrough` is the offset just past it.
    static func fingerprint(of prefix: ArraySlice<UInt8>, lengthThrough end: Int) -> UInt32 {
        var covered = Array(prefix)
        setLength(&covered, end - headerLength)
        let crc = covered.withUnsafeBufferPointer { crc32_z(0, $0.baseAddress, z_size_t($0.count)) }
        return UInt32(truncatingIfNeeded: crc) ^ 0x5354_554E
    }
}

func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in a.indices { diff |= a[i] ^ b[i] }
    return diff == 0
}
