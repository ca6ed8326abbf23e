/// A password algorithm of PASSWORD-ALGORITHM and PASSWORD-ALGORITHMS (RFC 8489 §14.11-14.12,
/// §18.5): the number, then parameters padded to four bytes.
public struct STUNPasswordAlgorithm: Hashable, Sendable {
    public var number: UInt16
    public var parameters: [UInt8]

    public init(number: UInt16, parameters: [UInt8] = []) {
        self.number = number
        self.parameters = parameters
    }

    /// RFC 8489 §18.5: the key is MD5(username ":" realm ":" password).
    public static let md5 = STUNPasswordAlgorithm(number: 0x0001)
    /// RFC 8489 §18.5: the key is SHA-256(username ":" realm ":" password).
    public static let sha256 = STUNPasswordAlgorithm(number: 0x0002)

    var encoded: [UInt8] {
        var out: [UInt8] = [UInt8(number >> 8), UInt8(truncatingIfNeeded: number),
                            UInt8(truncatingIfNeeded: parameters.count >> 8), UInt8(truncatingIfNeeded: parameters.count)]
        out += parameters
        out += [UInt8](repeating: 0, count: (4 - parameters.count % 4) % 4)
        return out
    }

    /// Reads algorithm entries until the value ends; a truncated entry is malformed.
    static func decodeList(_ v: [UInt8], type: UInt16) throws(STUNError) -> [STUNPasswordAlgorithm] {
        var list: [STUNPasswordAlgorithm] = []
        var offset = 0
        while offset < v.count {
            guard offset + 4 <= v.count else { throw .malformedAttribute(type: type) }
            let number = UInt16(v[offset]) << 8 | UInt16(v[offset + 1])
            let length = Int(v[offset + 2]) << 8 | Int(v[offset + 3])
            let start = offset + 4
            guard start + length <= v.count else { throw .malformedAttribute(type: type) }
            list.append(STUNPasswordAlgorithm(number: number, parameters: Array(v[start..<(start + length)])))
            offset = start + (length + 3) / 4 * 4
        }
        return list
    }
}
