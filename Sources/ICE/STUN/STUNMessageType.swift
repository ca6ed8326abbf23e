/// The class of a STUN message (RFC 8489 §5): two bits spread across the type field.
public enum STUNClass: UInt16, Sendable {
    case request = 0b00
    case indication = 0b01
    case successResponse = 0b10
    case errorResponse = 0b11
}

/// A STUN method: Binding (RFC 8489 §18.2) and TURN's (RFC 8656 §17).
public struct STUNMethod: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0FFF }
    public static let binding = STUNMethod(rawValue: 0x001)
    public static let allocate = STUNMethod(rawValue: 0x003)
    public static let refresh = STUNMethod(rawValue: 0x004)
    public static let send = STUNMethod(rawValue: 0x006)
    public static let data = STUNMethod(rawValue: 0x007)
    public static let createPermission = STUNMethod(rawValue: 0x008)
    public static let channelBind = STUNMethod(rawValue: 0x009)
}

/// The 14-bit message type: method bits M0-M11 interleaved with class bits C0 and C1
/// (RFC 8489 §5, figure 3).
public struct STUNMessageType: Hashable, Sendable {
    public var method: STUNMethod
    public var messageClass: STUNClass

    public init(method: STUNMethod, messageClass: STUNClass) {
        self.method = method
        self.messageClass = messageClass
    }

    public static let bindingRequest = STUNMessageType(method: .binding, messageClass: .request)
    public static let bindingSuccess = STUNMessageType(method: .binding, messageClass: .successResponse)
    public static let bindingError = STUNMessageType(method: .binding, messageClass: .errorResponse)
    public static let bindingIndication = STUNMessageType(method: .binding, messageClass: .indication)

    init(rawValue: UInt16) {
        let m = rawValue
        let method = (m & 0x000F) | ((m & 0x00E0) >> 1) | ((m & 0x3E00) >> 2)
        let c = ((m & 0x0010) >> 4) | ((m & 0x0100) >> 7)
        self.method = STUNMethod(rawValue: method)
        self.messageClass = STUNClass(rawValue: c) ?? .request
    }

    var rawValue: UInt16 {
        let m = method.rawValue
        let c = messageClass.rawValue
        return (m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2)
            | ((c & 0b01) << 4) | ((c & 0b10) << 7)
    }
}

/// The 96-bit transaction ID (RFC 8489 §6), stored by value.
public struct STUNTransactionID: Hashable, Sendable, CustomStringConvertible {
    public var bytes: (UInt32, UInt32, UInt32)

    public init(_ a: UInt32, _ b: UInt32, _ c: UInt32) { bytes = (a, b, c) }

    /// Reads 12 network-order bytes.
    public init?(bytes raw: some Collection<UInt8>) {
        let b = Array(raw)
        guard b.count == 12 else { return nil }
        func word(_ i: Int) -> UInt32 { b[i..<(i + 4)].reduce(0) { $0 << 8 | UInt32($1) } }
        bytes = (word(0), word(4), word(8))
    }

    /// A fresh random ID. Transaction IDs must be unpredictable (RFC 8489 §6).
    public static func random(using generator: inout some RandomNumberGenerator) -> STUNTransactionID {
        STUNTransactionID(generator.next(), generator.next(), generator.next())
    }

    public static func random() -> STUNTransactionID {
        var generator = SecureRandom()
        return random(using: &generator)
    }

    public var networkBytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(12)
        for w in [bytes.0, bytes.1, bytes.2] {
            out.append(UInt8(w >> 24)); out.append(UInt8(truncatingIfNeeded: w >> 16))
            out.append(UInt8(truncatingIfNeeded: w >> 8)); out.append(UInt8(truncatingIfNeeded: w))
        }
        return out
    }

    public static func == (l: Self, r: Self) -> Bool {
        l.bytes.0 == r.bytes.0 && l.bytes.1 == r.bytes.1 && l.bytes.2 == r.bytes.2
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes.0); hasher.combine(bytes.1); hasher.combine(bytes.2)
    }

    public var description: String {
        networkBytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
