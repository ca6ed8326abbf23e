import COpenSSL

// The OpenSSL (EVP) primitives under SRTP. Each class owns exactly one C resource and frees
// it in deinit; they are used only inside an `SRTPSession`'s lock (or by one test thread).

/// One `EVP_CIPHER_CTX`, keyed once; each packet re-initialises it with its IV only
/// (`EVP_CipherInit_ex2` with no cipher and no key keeps the key schedule).
final class CipherContext {
    private let ctx: OpaquePointer

    init(cipher: OpaquePointer, key: [UInt8]) throws(SRTPError) {
        guard let ctx = EVP_CIPHER_CTX_new() else { throw .cryptoUnavailable("EVP_CIPHER_CTX_new") }
        self.ctx = ctx
        let ok = key.withUnsafeBufferPointer { EVP_CipherInit_ex2(ctx, cipher, $0.baseAddress, nil, 1, nil) }
        guard ok == 1, Int(EVP_CIPHER_CTX_get_key_length(ctx)) == key.count else {
            throw .cryptoUnavailable("a \(key.count * 8)-bit key for \(String(cString: EVP_CIPHER_get0_name(cipher)))")
        }
    }

    /// Frees the context; OpenSSL wipes the key schedule (`EVP_CIPHER_CTX_free` cleanses).
    deinit { EVP_CIPHER_CTX_free(ctx) }

    /// AES-CTR: XORs `count` bytes at `data` in place with the keystream from the 16-byte
    /// counter block `iv` (RFC 3711 §4.1.1; encryption and decryption are the same).
    func counterMode(iv: UnsafePointer<UInt8>, data: UnsafeMutablePointer<UInt8>, count: Int) throws(SRTPError) {
        guard EVP_CipherInit_ex2(ctx, nil, nil, iv, 1, nil) == 1 else { throw .cryptoFailure("EVP_CipherInit_ex2") }
        guard count > 0 else { return }
        var outLength: Int32 = 0
        guard EVP_CipherUpdate(ctx, data, &outLength, data, Int32(count)) == 1, Int(outLength) == count else {
            throw .cryptoFailure("EVP_CipherUpdate")
        }
    }

    /// AES-GCM (RFC 7714 §7): encrypts (or, with `encrypt` false, decrypts) `count` bytes at
    /// `data` in place under the 12-byte `iv`, with `aad` then `aad2` as additional data.
    /// Encrypting writes the 16-byte tag to `tag`; decrypting verifies the tag at `tag` (in
    /// constant time, inside OpenSSL) and returns false if it does not match.
    func gcm(
        encrypt: Bool, iv: UnsafePointer<UInt8>,
        aad: UnsafeRawPointer, aadCount: Int, aad2: UnsafeRawPointer?, aad2Count: Int,
        data: UnsafeMutablePointer<UInt8>, count: Int, tag: UnsafeMutableRawPointer
    ) throws(SRTPError) -> Bool {
        guard EVP_CipherInit_ex2(ctx, nil, nil, iv, encrypt ? 1 : 0, nil) == 1 else {
            throw .cryptoFailure("EVP_CipherInit_ex2")
        }
        var outLength: Int32 = 0
        guard EVP_CipherUpdate(ctx, nil, &outLength, aad.assumingMemoryBound(to: UInt8.self), Int32(aadCount)) == 1 else {
            throw .cryptoFailure("EVP_CipherUpdate (AAD)")
        }
        if let aad2, aad2Count > 0 {
            guard EVP_CipherUpdate(ctx, nil, &outLength, aad2.assumingMemoryBound(to: UInt8.self), Int32(aad2Count)) == 1 else {
                throw .cryptoFailure("EVP_CipherUpdate (AAD)")
            }
        }
        if count > 0 {
            guard EVP_CipherUpdate(ctx, data, &outLength, data, Int32(count)) == 1, Int(outLength) == count else {
                throw .cryptoFailure("EVP_CipherUpdate")
            }
        }
        if !encrypt {
            guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag) == 1 else {
                throw .cryptoFailure("EVP_CTRL_AEAD_SET_TAG")
            }
        }
        // GCM writes nothing at Final: `data + count` is only a valid pointer to pass.
        let finished = EVP_CipherFinal_ex(ctx, data.advanced(by: count), &outLength) == 1
        if !encrypt { return finished }
        guard finished, EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) == 1 else {
            throw .cryptoFailure("EVP_CTRL_AEAD_GET_TAG")
        }
        return true
    }
}

/// HMAC-SHA1 (RFC 2104, RFC 3711 §4.2.1), keyed once: the SHA-1 states after K XOR ipad and
/// K XOR opad are kept, and each packet hashes from copies of them.
///
/// Over SHA-1's low-level `SHA_CTX` (COpenSSL's `tincan_SHA1_*` wrappers), not `EVP_MAC`:
/// OpenSSL 3.0's EVP digests and HMAC allocate for every message (the shim says where), and
/// the per-packet path must not.
final class HMACContext {
    /// [0]: after K XOR ipad, [1]: after K XOR opad, [2]: the packet's working state.
    private let states: UnsafeMutablePointer<SHA_CTX>
    private static let blockSize = 64

    init(key: [UInt8]) throws(SRTPError) {
        guard key.count <= Self.blockSize else { throw .badKeyLength(expected: 20, got: key.count) }
        states = .allocate(capacity: 3)
        states.initialize(repeating: SHA_CTX(), count: 3)
        var pad = [UInt8](repeating: 0, count: Self.blockSize)
        defer { wipe(&pad) }
        for (state, byte) in [(states, UInt8(0x36)), (states + 1, UInt8(0x5c))] {
            for i in 0..<Self.blockSize { pad[i] = (i < key.count ? key[i] : 0) ^ byte }
            guard tincan_SHA1_Init(state) == 1, tincan_SHA1_Update(state, pad, Self.blockSize) == 1 else {
                throw .cryptoUnavailable("SHA1")
            }
        }
    }

    deinit {
        OPENSSL_cleanse(states, 3 * MemoryLayout<SHA_CTX>.stride)
        states.deallocate()
    }

    /// Writes the 20-byte HMAC-SHA1 of `first[0..<firstCount] || second[0..<secondCount]` to `out`.
    func authenticate(
        _ first: UnsafeRawPointer, _ firstCount: Int, _ second: UnsafeRawPointer, _ secondCount: Int,
        into out: UnsafeMutablePointer<UInt8>
    ) throws(SRTPError) {
        let work = states + 2
        work.pointee = states[0]
        guard tincan_SHA1_Update(work, first, firstCount) == 1,
              tincan_SHA1_Update(work, second, secondCount) == 1,
              tincan_SHA1_Final(out, work) == 1
        else { throw .cryptoFailure("SHA1") }
        work.pointee = states[1]
        guard tincan_SHA1_Update(work, out, 20) == 1, tincan_SHA1_Final(out, work) == 1 else {
            throw .cryptoFailure("SHA1")
        }
    }
}

/// Overwrites `bytes` with zeros in a way the compiler keeps (`OPENSSL_cleanse`).
func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { raw in
        if let base = raw.baseAddress { OPENSSL_cleanse(base, raw.count) }
    }
}

/// The session keys of one direction's RTP or RTCP (RFC 3711 §4.3.1).
struct SessionKeys {
    var cipherKey: [UInt8]
    /// 14 bytes for AES-CM, 12 for AES-GCM.
    var salt: [UInt8]
    /// The 160-bit HMAC-SHA1 key; empty for AES-GCM (its tag needs no key of its own).
    var authKey: [UInt8]

    mutating func wipeAll() {
        wipe(&cipherKey)
        wipe(&salt)
        wipe(&authKey)
    }
}

/// RFC 3711 §4.3 key derivation with key_derivation_rate 0 (so r = 0): the AES-CM PRF
/// (§4.3.3) keyed with the master key, IV = (master salt XOR label at octet 7) || 0x0000.
/// RFC 7714 §11 uses it unchanged for AES-GCM (AES-256 for the 256-bit master key); its
/// 96-bit salt is padded with zeros to 112 bits, as libsrtp does.
enum KeyDerivation {
    /// Labels of RFC 3711 §4.3.1 (and §4.3.2 for SRTCP).
    enum Label: UInt8 {
        case rtpEncryption = 0x00, rtpAuthentication = 0x01, rtpSalt = 0x02
        case rtcpEncryption = 0x03, rtcpAuthentication = 0x04, rtcpSalt = 0x05
    }

    /// `length` bytes of the PRF output for `label`.
    static func derive(
        masterKey: [UInt8], masterSalt: [UInt8], label: Label, length: Int
    ) throws(SRTPError) -> [UInt8] {
        let algorithms = try SRTPLibrary.algorithms()
        let prf = try CipherContext(
            cipher: masterKey.count == 32 ? algorithms.aes256CTR : algorithms.aes128CTR, key: masterKey)
        return try derive(prf: prf, masterSalt: masterSalt, label: label, length: length)
    }

    private static func derive(
        prf: CipherContext, masterSalt: [UInt8], label: Label, length: Int
    ) throws(SRTPError) -> [UInt8] {
        var iv = [UInt8](repeating: 0, count: 16)
        for i in 0..<min(masterSalt.count, 14) { iv[i] = masterSalt[i] }
        iv[7] ^= label.rawValue
        var out = [UInt8](repeating: 0, count: length)
        let result = iv.withUnsafeBufferPointer { ivp in
            out.withUnsafeMutableBufferPointer { o in
                Result { () throws(SRTPError) in try prf.counterMode(iv: ivp.baseAddress!, data: o.baseAddress!, count: length) }
            }
        }
        wipe(&iv)
        try result.get()
        return out
    }

    /// The session keys for RTP and for RTCP of `profile`.
    static func sessionKeys(
        profile: SRTPProtectionProfile, masterKey: [UInt8], masterSalt: [UInt8]
    ) throws(SRTPError) -> (rtp: SessionKeys, rtcp: SessionKeys) {
        let algorithms = try SRTPLibrary.algorithms()
        let prf = try CipherContext(
            cipher: masterKey.count == 32 ? algorithms.aes256CTR : algorithms.aes128CTR, key: masterKey)
        let keyLength = profile.masterKeyLength, saltLength = profile.sessionSaltLength
        let authLength = profile.isAEAD ? 0 : 20
        func keys(_ e: Label, _ a: Label, _ s: Label) throws(SRTPError) -> SessionKeys {
            SessionKeys(
                cipherKey: try derive(prf: prf, masterSalt: masterSalt, label: e, length: keyLength),
                salt: try derive(prf: prf, masterSalt: masterSalt, label: s, length: saltLength),
                authKey: authLength == 0 ? [] : try derive(prf: prf, masterSalt: masterSalt, label: a, length: authLength))
        }
        return (try keys(.rtpEncryption, .rtpAuthentication, .rtpSalt),
                try keys(.rtcpEncryption, .rtcpAuthentication, .rtcpSalt))
    }
}

extension SRTPProtectionProfile {
    var isAEAD: Bool { self != .aes128CMSHA1_80 }
    /// The session salt: 112 bits for AES-CM (RFC 3711 §4.3.1), 96 for AES-GCM (RFC 7714 §11).
    var sessionSaltLength: Int { isAEAD ? 12 : 14 }
    /// The tag on an SRTP packet: 16 bytes for GCM, HMAC-SHA1 truncated to 80 bits.
    var tagLength: Int { isAEAD ? 16 : 10 }
}
