import NetworkPrimitives
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

extension TransportAddress {
    /// The address of a NIO socket; nil for Unix-domain addresses.
    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            self.init(ip: .v4(UInt32(bigEndian: v4.address.sin_addr.s_addr)), port: UInt16(bigEndian: v4.address.sin_port))
        case .v6(let v6):
            self.init(ip: IPAddress(v6.address.sin6_addr), port: UInt16(bigEndian: v6.address.sin6_port))
        default:
            return nil
        }
    }

    /// The NIO form, built from a `sockaddr` without going through text.
    var socketAddress: SocketAddress {
        switch ip {
        case .v4(let a):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = a.bigEndian
            return SocketAddress(sin, host: "")
        case .v6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            let bytes = ip.bytes
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for i in 0..<16 { raw[i] = bytes[i] }
            }
            return SocketAddress(sin6, host: "")
        }
    }
}
