#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address, stored by value so that it can be hashed and compared cheaply
/// on the per-packet path. The one address type of ICE, the virtual network and the peer
/// connection; text goes through `inet_pton`/`inet_ntop` (RFC 4291 §2.2 in, RFC 5952 out).
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 address in host byte order.
    case v4(UInt32)
    /// An IPv6 address as its high and low 64 bits, in host byte order.
    case v6(UInt64, UInt64)

    /// Parses the textual form (`192.0.2.1`, `2001:db8::1`). Returns nil for anything else,
    /// including mDNS host names.
    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self = .v4(UInt32(bigEndian: v4.s_addr))
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.init(v6)
            return
        }
        return nil
    }

    /// An `in6_addr` as the socket API gives it (network order), read in place: the source of
    /// every datagram received comes through here, and a `[UInt8]` on the way allocated twice
    /// per datagram.
    public init(_ address: in6_addr) {
        self = withUnsafeBytes(of: address) { raw in
            .v6(UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self)),
                UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
    }

    /// Builds an address from its network-order bytes (4 or 16 of them).
    public init?(bytes: some Collection<UInt8>) {
        let b = Array(bytes)
        if b.count == 4 {
            self = .v4(b.reduce(0) { $0 << 8 | UInt32($1) })
        } else if b.count == 16 {
            self = .v6(b[0..<8].reduce(0) { $0 << 8 | UInt64($1) }, b[8..<16].reduce(0) { $0 << 8 | UInt64($1) })
        } else {
            return nil
        }
    }

    /// The address in network byte order.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let a):
            return [UInt8(a >> 24), UInt8(truncatingIfNeeded: a >> 16), UInt8(truncatingIfNeeded: a >> 8), UInt8(truncatingIfNeeded: a)]
        case .v6(let high, let low):
            var out = [UInt8]()
            out.reserveCapacity(16)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
            return out
        }
    }

    public var isIPv6: Bool {
        if case .v6 = self { return true }
        return false
    }

    /// 127.0.0.0/8 or ::1.
    public var isLoopback: Bool {
        switch self {
        case .v4(let a): return a >> 24 == 127
        case .v6(let high, let low): return high == 0 && low == 1
        }
    }

    /// fe80::/10: such addresses need a scope id, which candidates cannot carry.
    public var isLinkLocal: Bool {
        switch self {
        case .v4(let a): return a >> 16 == 0xA9FE
        case .v6(let high, _): return high >> 54 == 0x3FA
        }
    }

    public var description: String {
        let b = bytes
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = isIPv6 ? AF_INET6 : AF_INET
        let ok = b.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
