/// `a=fingerprint:<hash-func> <fingerprint>` (RFC 8122 §5): the certificate a DTLS peer must
/// present. Kept textual; the DTLS module turns it into bytes and checks it.
public struct SDPFingerprint: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Lower-case hash function name as SDP writes it: "sha-256", "sha-1", ...
    public var hashFunction: String
    /// Colon-separated hex octets as written, e.g. "AB:CD:...".
    public var value: String

    public init(hashFunction: String, value: String) {
        self.hashFunction = hashFunction.lowercased()
        self.value = value
    }

    /// Parses `sha-256 AB:CD:...`; the octets must be two hex digits each (RFC 8122 §5).
    public init(parsing text: String) throws(SDPError) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else { throw SDPError("fingerprint must be '<hash-func> <hex:hex:...>', got '\(text.prefix(60))'") }
        let hash = parts[0]
        guard hash.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw SDPError("fingerprint hash function '\(hash.prefix(20))' is not a token")
        }
        let octets = parts[1].split(separator: ":", omittingEmptySubsequences: false)
        for octet in octets where octet.count != 2 || !octet.allSatisfy(\.isHexDigit) {
            throw SDPError("fingerprint has a bad octet '\(octet.prefix(8))'")
        }
        let expected = ["sha-1": 20, "sha-224": 28, "sha-256": 32, "sha-384": 48, "sha-512": 64]
        if let size = expected[hash.lowercased()], size != octets.count {
            throw SDPError("a \(hash.lowercased()) fingerprint has \(size) octets, this one \(octets.count)")
        }
        self.init(hashFunction: String(hash), value: String(parts[1]))
    }

    /// `sha-256 AB:CD:...`, the attribute's value.
    public var sdpValue: String { "\(hashFunction) \(value)" }
    public var description: String { sdpValue }
}
