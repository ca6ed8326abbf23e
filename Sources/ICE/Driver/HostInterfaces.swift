import NIOCore
import NetworkPrimitives

/// The machine's network interfaces, as ICE sees them: the one place Tincan enumerates them.
public enum HostInterfaces {
    /// The addresses that get host candidates (RFC 8445 §5.1.1.1): each interface address
    /// once, in the order the system lists them, without link-local ones, loopback only when
    /// `allowLoopback`, and only the families the configuration includes. With
    /// `restrictToAddresses` those addresses (of the included families) instead.
    public static func addresses(for configuration: ICEConfiguration) throws -> [IPAddress] {
        if let restricted = configuration.restrictToAddresses {
            return restricted.filter { familyAllowed($0, configuration) }
        }
        var result: [IPAddress] = []
        for ip in try interfaceAddresses() {
            guard familyAllowed(ip, configuration), !ip.isLinkLocal else { continue }
            if ip.isLoopback && !configuration.allowLoopback { continue }
            if !result.contains(ip) { result.append(ip) }
        }
        return result
    }

    /// True when some interface has an address that is neither loopback nor link-local (of
    /// either family): whether a host can reach anything beyond itself.
    public static func hasNonLoopbackAddress() throws -> Bool {
        try interfaceAddresses().contains { !$0.isLoopback && !$0.isLinkLocal }
    }

    /// Every IP address of every interface (getifaddrs through SwiftNIO).
    private static func interfaceAddresses() throws -> [IPAddress] {
        try System.enumerateDevices().compactMap { device in
            device.address.flatMap { TransportAddress($0) }?.ip
        }
    }

    private static func familyAllowed(_ ip: IPAddress, _ c: ICEConfiguration) -> Bool {
        ip.isIPv6 ? c.includeIPv6 : c.includeIPv4
    }
}
