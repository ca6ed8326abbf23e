import COpenSSL

/// HMAC-SHA1 through OpenSSL's one-shot `HMAC()`.
enum HMACSHA1 {
    static func authenticate(_ data: [UInt8], key: [UInt8]) -> [UInt8]? {
        hmac(EVP_sha1(), data, key: key, size: 20)
    }
}

/// HMAC-SHA256, for MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6).
enum HMACSHA256 {
    static func authenticate(_ data: [UInt8], key: [UInt8]) -> [UInt8]? {
        hmac(EVP_sha256(), data, key: key, size: 32)
    }
}

private func hmac(_ md: OpaquePointer?, _ data: [UInt8], key: [UInt8], size: Int) -> [UInt8]? {
    var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let ok = key.withUnsafeBufferPointer { k in
        data.withUnsafeBufferPointer { d in
            HMAC(md, k.baseAddress, Int32(k.count), d.baseAddress, d.count, &out, &length)
        }
    }
    guard ok != nil, Int(length) == size else { return nil }
    return Array(out.prefix(size))
}

private func digest(_ md: OpaquePointer?, _ input: [UInt8], size: Int) -> [UInt8]? {
    var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let ok = input.withUnsafeBufferPointer { p in
        EVP_Digest(p.baseAddress, p.count, &out, &length, md, nil)
    }
    guard ok == 1, Int(length) == size else { return nil }
    return Array(out.prefix(size))
}

/// Keys for MESSAGE-INTEGRITY.
public enum STUNCredentials {
    /// Short-term credentials (ICE): the key is the password itself (RFC 8489 §9.1.1;
    /// ICE passwords are ice-chars only, so OpaqueString leaves them unchanged).
    public static func shortTermKey(password: String) -> [UInt8] {
        Array(password.utf8)
    }

    /// Long-term credentials: MD5(username ":" realm ":" password) (RFC 8489 §9.2.2). The
    /// arguments must already be SASLprep/OpaqueString-processed.
    public static func longTermKey(username: String, realm: String, password: String) -> [UInt8]? {
        digest(EVP_md5(), Array("\(username):\(realm):\(password)".utf8), size: 16)
    }

    /// The long-term key for the SHA-256 password algorithm (RFC 8489 §9.2.2, §18.5):
    /// SHA-256(username ":" realm ":" password).
    public static func longTermKeySHA256(username: String, realm: String, password: String) -> [UInt8]? {
        digest(EVP_sha256(), Array("\(username):\(realm):\(password)".utf8), size: 32)
    }
}

/// A CSPRNG (OpenSSL `RAND_bytes`) as a Swift generator: transaction IDs, tie-breakers,
/// ice-ufrag and ice-pwd must be unpredictable (RFC 8445 §5.3, RFC 8489 §6).
public struct SecureRandom: RandomNumberGenerator {
    public init() {}

    public mutating func next() -> UInt64 {
        var value: UInt64 = 0
        let ok = withUnsafeMutableBytes(of: &value) { raw in
            RAND_bytes(raw.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(raw.count))
        }
        if ok != 1 {
            // RAND_bytes fails only when the OS entropy source is gone; fall back to the
            // system generator (also a CSPRNG on Linux: getrandom).
            var system = SystemRandomNumberGenerator()
            return system.next()
        }
        return value
    }
}
