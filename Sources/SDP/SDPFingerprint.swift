/// `a=fingerprint:<hash-func> <hex:hex:...>` (RFC 8122 §5): the certificate a DTLS peer
/// must present.
public struct SDPFingerprint: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Lower-case hash function name as SDP writes it: "sha-256", "sha-1", ...
    public var hashFunction: String
    /// The digest bytes.
    public var digest: [UInt8]

    public init(hashFunction: String, digest: [UInt8]) {
        self.hashFunction = hashFunction.lowercased()
        self.digest = digest
    }

    public init(parsing value: String) throws(SDPError) {
        let parts = value.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else { throw SDPError("fingerprint must be '<hash> <hex>': \(value)") }
        var digest: [UInt8] = []
        for octet in parts[1].split(separator: ":") {
            guard octet.count == 2, let byte = UInt8(octet, radix: 16) else {
                throw SDPError("fingerprint has a bad octet '\(octet)'")
            }
            digest.append(byte)
        }
        let expected = ["sha-1": 20, "sha-224": 28, "sha-256": 32, "sha-384": 48, "sha-512": 64]
        let hash = parts[0].lowercased()
        if let size = expected[hash], size != digest.count {
            throw SDPError("\(hash) fingerprint must be \(size) bytes, got \(digest.count)")
        }
        guard !digest.isEmpty else { throw SDPError("empty fingerprint") }
        self.init(hashFunction: hash, digest: digest)
    }

    /// Upper-case hex octets joined by colons, the form every peer writes.
    public var description: String {
        let hex = digest.map { b -> String in
            let s = String(b, radix: 16, uppercase: true)
            return s.count == 1 ? "0" + s : s
        }
        return "\(hashFunction) \(hex.joined(separator: ":"))"
    }
}

/// `a=setup` values (RFC 4145 §4, RFC 5763 §5): who starts the DTLS handshake.
public enum SDPSetupRole: String, Sendable, Equatable {
    case actpass, active, passive, holdconn

    /// The answer to an offer's role (RFC 5763 §5: an answerer to `actpass` picks `active`,
    /// which is what every peer measured here does).
    public var answer: SDPSetupRole {
        switch self {
        case .actpass: .active
        case .active: .passive
        case .passive: .active
        case .holdconn: .holdconn
        }
    }
}
