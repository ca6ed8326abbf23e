/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
/// (RFC 8866 §5.2). JSEP writes `- <random> <version> IN IP4 127.0.0.1` (RFC 8829 §5.2.1).
public struct Origin: Sendable, Equatable, Hashable {
    public var username: String
    /// Kept as text: peers write up to 64-bit numbers, some larger.
    public var sessionID: String
    public var sessionVersion: UInt64
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(username: String = "-", sessionID: String, sessionVersion: UInt64 = 2,
                networkType: String = "IN", addressType: String = "IP4", address: String = "127.0.0.1") {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    /// A new JSEP origin (RFC 8829 §5.2.1): `-`, a random 63-bit session id, version 2 (as
    /// Chromium starts), `IN IP4 127.0.0.1`. Increase `sessionVersion` for each new
    /// description of the same session.
    public static func jsep() -> Origin {
        Origin(sessionID: String(UInt64.random(in: 1...UInt64(Int64.max))))
    }

    init(parsing value: Substring) throws(SDPError) {
        let parts = value.split(separator: " ")
        guard parts.count == 6 else { throw SDPError("o= needs 6 fields, got \(parts.count)") }
        guard let version = UInt64(parts[2]) else { throw SDPError("o= session version '\(parts[2].prefix(24))' is not a number") }
        self.init(username: String(parts[0]), sessionID: String(parts[1]), sessionVersion: version,
                  networkType: String(parts[3]), addressType: String(parts[4]), address: String(parts[5]))
    }

    var value: String { "\(username) \(sessionID) \(sessionVersion) \(networkType) \(addressType) \(address)" }
}
