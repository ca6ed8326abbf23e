import ICE
import NIOPosix
import NetworkPrimitives

#if canImport(Glibc)
import Glibc
#endif

/// The addresses of `RTCConfiguration.iceServers` for the ICE agent: IP literals as they are,
/// names through getaddrinfo on NIO's thread pool (never on the cooperative pool).
enum ICEServerResolver {
    /// The ICE configuration's STUN and TURN servers from `iceServers`. A server that cannot
    /// be used (an unknown name, a transport the agent lacks) is logged and left out.
    static func apply(_ servers: [RTCIceServer], to c: inout ICEConfiguration) async throws {
        for server in servers {
            for url in try server.parsedURLs() {
                switch (url.scheme, url.transport) {
                case (.stuns, _):
                    Log.peerConnection.warning("\(url): STUN over TLS is not supported; skipped")
                    continue
                default:
                    break
                }
                guard let address = try await resolve(url.host, port: url.port) else {
                    Log.peerConnection.warning("\(url): \(url.host) does not resolve; skipped")
                    continue
                }
                if url.scheme.isTURN {
                    c.turnServers.append(TURNServer(address: address, transport: url.transport,
                                                    username: server.username ?? "", password: server.credential ?? "",
                                                    tlsServerName: url.ip == nil ? url.host : nil))
                } else {
                    c.stunServers.append(address)
                }
            }
        }
    }

    /// The first address of `host` (IPv4 first), or nil.
    static func resolve(_ host: String, port: UInt16) async throws -> TransportAddress? {
        if let ip = IPAddress(host) { return TransportAddress(ip: ip, port: port) }
        let ips = try await NIOThreadPool.singleton.runIfActive { lookUp(host) }
        guard let ip = ips.first(where: { !$0.isIPv6 }) ?? ips.first else { return nil }
        return TransportAddress(ip: ip, port: port)
    }

    private static func lookUp(_ host: String) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0 else { return [] }
        defer { freeaddrinfo(list) }
        var result: [IPAddress] = []
        var node = list
        while let n = node {
            if let sa = n.pointee.ai_addr {
                switch Int32(sa.pointee.sa_family) {
                case AF_INET:
                    let a = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                    result.append(.v4(UInt32(bigEndian: a)))
                case AF_INET6:
                    let a = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    result.append(IPAddress(a))
                default:
                    break
                }
            }
            node = n.pointee.ai_next
        }
        return result
    }
}
