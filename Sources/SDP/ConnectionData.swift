/// `c=<nettype> <addrtype> <connection-address>` (RFC 8866 §5.7). JSEP writes
/// `IN IP4 0.0.0.0` and lets ICE carry the real addresses.
public struct ConnectionData: Sendable, Equatable, Hashable {
    public var networkType: String
    public var addressType: String
    /// The address with any `/ttl/count` suffix, as written.
    public var address: String

    public init(networkType: String = "IN", addressType: String = "IP4", address: String = "0.0.0.0") {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    init(parsing value: Substring) throws(SDPError) {
        let parts = value.split(separator: " ")
        guard parts.count == 3 else { throw SDPError("c= needs '<nettype> <addrtype> <address>'") }
        self.init(networkType: String(parts[0]), addressType: String(parts[1]), address: String(parts[2]))
    }

    var value: String { "\(networkType) \(addressType) \(address)" }
}
