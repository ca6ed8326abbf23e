import COpenSSL

/// A certificate fingerprint as SDP carries it: `a=fingerprint:sha-256 AB:CD:...` (RFC 8122 §5).
public struct DTLSFingerprint: Sendable, Hashable, CustomStringConvertible {
    /// Hash functions from the IANA "Hash Function Textual Names" registry that OpenSSL has.
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha1 = "sha-1", sha224 = "sha-224", sha256 = "sha-256", sha384 = "sha-384", sha512 = "sha-512"

        public var digestLength: Int {
            switch self {
            case .sha1: 20
            case .sha224: 28
            case .sha256: 32
            case .sha384: 48
            case .sha512: 64
            }
        }

        var evp: OpaquePointer? {
            switch self {
            case .sha1: EVP_sha1()
            case .sha224: EVP_sha224()
            case .sha256: EVP_sha256()
            case .sha384: EVP_sha384()
            case .sha512: EVP_sha512()
            }
        }
    }

    public let algorithm: Algorithm
    public let value: [UInt8]

    public init(algorithm: Algorithm, value: [UInt8]) throws(DTLSError) {
        guard value.count == algorithm.digestLength else {
            throw .invalidFingerprint("\(algorithm.rawValue) needs \(algorithm.digestLength) bytes, got \(value.count)")
        }
        self.algorithm = algorithm
        self.value = value
    }

    /// Parses `sha-256 AB:CD:...` (also with an `a=fingerprint:` or `fingerprint:` prefix).
    /// Hash names are case-insensitive (RFC 8122 §5); hex digits may be either case.
    public init(sdp text: String) throws(DTLSError) {
        var body = Substring(text.trimmingWhitespace())
        for prefix in ["a=fingerprint:", "fingerprint:"] where body.lowercased().hasPrefix(prefix) {
            body = body.dropFirst(prefix.count)
        }
        let parts = body.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 2 else { throw .invalidFingerprint(text) }
        guard let algorithm = Algorithm(rawValue: parts[0].lowercased()) else {
            throw .invalidFingerprint("unsupported hash function \(parts[0])")
        }
        var bytes: [UInt8] = []
        for pair in parts[1].split(separator: ":", omittingEmptySubsequences: false) {
            guard pair.count == 2, pair.allSatisfy(\.isHexDigit), let byte = UInt8(pair, radix: 16) else {
                throw .invalidFingerprint(text)
            }
            bytes.append(byte)
        }
        try self.init(algorithm: algorithm, value: bytes)
    }

    /// The fingerprint of a DER-encoded certificate (RFC 8122 §5: the hash of the DER form).
    public init(certificateDER der: [UInt8], algorithm: Algorithm = .sha256) throws(DTLSError) {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = der.withUnsafeBytes { raw in
            EVP_Digest(raw.baseAddress, raw.count, &digest, &length, algorithm.evp, nil)
        }
        guard ok == 1 else { throw .setupFailed(OpenSSLErrors.drain("EVP_Digest failed")) }
        try self.init(algorithm: algorithm, value: Array(digest[0..<Int(length)]))
    }

    /// The attribute value: `sha-256 AB:CD:...`, upper-case hex as RFC 8122 writes it.
    public var sdpValue: String {
        let digits = Array("0123456789ABCDEF")
        let hex = value.map { String([digits[Int($0 >> 4)], digits[Int($0 & 0xf)]]) }.joined(separator: ":")
        return "\(algorithm.rawValue) \(hex)"
    }

    public var description: String { sdpValue }
}
