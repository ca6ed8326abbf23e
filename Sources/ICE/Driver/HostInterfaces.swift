import NIOCore
import NetworkPrimitives

/// Which local addresses get host candidates (RFC 8445 §5.1.1.1).
enum HostInterfaces {
    static func addresses(for configuration: ICEConfiguration) throws -> [IPAddress] {
        if let restricted = configuration.restrictToAddresses {
            return restricted.filter { familyAllowed($0, configuration) }
        }
        var result: [IPAddress] = []
        for device in try System.enumerateDevices() {
            guard let socketAddress = device.address, let address = TransportAddress(socketAddress) else { continue }
            let ip = address.ip
            guard familyAllowed(ip, configuration), !ip.isLinkLocal else { continue }
            if ip.isLoopback && !configuration.allowLoopback { continue }
            if !result.contains(ip) { result.append(ip) }
        }
        return result
    }

    private static func familyAllowed(_ ip: IPAddress, _ c: ICEConfiguration) -> Bool {
        ip.isIPv6 ? c.includeIPv6 : c.includeIPv4
    }
}
