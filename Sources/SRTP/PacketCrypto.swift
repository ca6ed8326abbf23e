import COpenSSL

/// The per-packet transforms of one session's keys: RTP and RTCP, AES-CM + HMAC-SHA1 or
/// AES-GCM. It knows nothing of streams: the caller gives the packet index (from the
/// session's per-SSRC state) and has checked the packet's layout.
///
/// Owns its OpenSSL contexts (one `CipherContext` for RTP and one for RTCP, and for AES-CM
/// one `HMACContext` each) and a small scratch area (IV, MAC output, trailer word, salts),
/// so a packet allocates nothing. Not thread-safe: used inside the session's lock.
final class PacketCrypto {
    let profile: SRTPProtectionProfile
    private let rtpCipher: CipherContext
    private let rtcpCipher: CipherContext
    private let rtpMAC: HMACContext?
    private let rtcpMAC: HMACContext?
    private let scratch: UnsafeMutablePointer<UInt8>
    private static let scratchSize = 80
    private var iv: UnsafeMutablePointer<UInt8> { scratch }
    private var macOut: UnsafeMutablePointer<UInt8> { scratch + 16 }
    private var word: UnsafeMutablePointer<UInt8> { scratch + 40 }
    private var rtpSalt: UnsafeMutablePointer<UInt8> { scratch + 48 }
    private var rtcpSalt: UnsafeMutablePointer<UInt8> { scratch + 64 }

    /// HMAC-SHA1 truncated to 80 bits (RFC 3711 §4.2, SRTP_AES128_CM_HMAC_SHA1_80).
    static let hmacTagLength = 10
    /// The AES-GCM tag (RFC 7714 §8.2: 16 octets).
    static let gcmTagLength = 16

    init(profile: SRTPProtectionProfile, rtp: SessionKeys, rtcp: SessionKeys) throws(SRTPError) {
        let algorithms = try SRTPLibrary.algorithms()
        self.profile = profile
        let cipher: OpaquePointer = switch profile {
        case .aes128CMSHA1_80: algorithms.aes128CTR
        case .aeadAES128GCM: algorithms.aes128GCM
        case .aeadAES256GCM: algorithms.aes256GCM
        }
        guard rtp.salt.count == profile.sessionSaltLength, rtcp.salt.count == profile.sessionSaltLength else {
            throw .badKeyLength(expected: profile.sessionSaltLength, got: rtp.salt.count)
        }
        rtpCipher = try CipherContext(cipher: cipher, key: rtp.cipherKey)
        rtcpCipher = try CipherContext(cipher: cipher, key: rtcp.cipherKey)
        if profile.isAEAD {
            rtpMAC = nil
            rtcpMAC = nil
        } else {
            rtpMAC = try HMACContext(key: rtp.authKey)
            rtcpMAC = try HMACContext(key: rtcp.authKey)
        }
        scratch = .allocate(capacity: Self.scratchSize)
        scratch.initialize(repeating: 0, count: Self.scratchSize)
        for (i, b) in rtp.salt.enumerated() { scratch[48 + i] = b }
        for (i, b) in rtcp.salt.enumerated() { scratch[64 + i] = b }
    }

    deinit {
        OPENSSL_cleanse(scratch, Self.scratchSize)
        scratch.deallocate()
    }

    // MARK: IVs

    /// RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), 16 octets.
    private func counterIV(salt: UnsafePointer<UInt8>, ssrc: UInt32, index: UInt64) {
        for i in 0..<14 { iv[i] = salt[i] }
        iv[14] = 0
        iv[15] = 0
        for i in 0..<4 { iv[4 + i] ^= UInt8(truncatingIfNeeded: ssrc >> (24 - 8 * i)) }
        for i in 0..<6 { iv[8 + i] ^= UInt8(truncatingIfNeeded: index >> (40 - 8 * i)) }
    }

    /// RFC 7714 §8.1 (SRTP) and §9.1 (SRTCP): IV = (0x0000 || SSRC || middle || low) XOR
    /// salt, where middle/low are ROC/SEQ for SRTP and 0x0000 / 0 || SRTCP index for SRTCP.
    private func gcmIV(salt: UnsafePointer<UInt8>, ssrc: UInt32, middle: UInt32, low: UInt16) {
        for i in 0..<12 { iv[i] = salt[i] }
        for i in 0..<4 { iv[2 + i] ^= UInt8(truncatingIfNeeded: ssrc >> (24 - 8 * i)) }
        for i in 0..<4 { iv[6 + i] ^= UInt8(truncatingIfNeeded: middle >> (24 - 8 * i)) }
        iv[10] ^= UInt8(truncatingIfNeeded: low >> 8)
        iv[11] ^= UInt8(truncatingIfNeeded: low)
    }

    private func storeWord(_ value: UInt32, at p: UnsafeMutableRawPointer) {
        p.storeBytes(of: value.bigEndian, as: UInt32.self)
    }

    // MARK: SRTP (RFC 3711 §3.1, RFC 7714 §8)

    /// Encrypts the payload of the RTP packet `base[0..<length]` (header `headerLength`
    /// octets) in place and appends the tag; returns the SRTP length.
    func sealRTP(_ base: UnsafeMutableRawPointer, length: Int, headerLength: Int, ssrc: UInt32, index: UInt64) throws(SRTPError) -> Int {
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        let roc = UInt32(truncatingIfNeeded: index >> 16)
        if let rtpMAC {
            counterIV(salt: rtpSalt, ssrc: ssrc, index: index)
            try rtpCipher.counterMode(iv: iv, data: bytes + headerLength, count: length - headerLength)
            // §4.2: the tag covers the authenticated portion (header and encrypted payload) || ROC.
            storeWord(roc, at: word)
            try rtpMAC.authenticate(base, length, word, 4, into: macOut)
            (bytes + length).update(from: macOut, count: Self.hmacTagLength)
            return length + Self.hmacTagLength
        }
        // RFC 7714 §8.2: AAD is the header, CSRCs and extension included.
        gcmIV(salt: rtpSalt, ssrc: ssrc, middle: roc, low: UInt16(truncatingIfNeeded: index))
        _ = try rtpCipher.gcm(
            encrypt: true, iv: iv, aad: base, aadCount: headerLength, aad2: nil, aad2Count: 0,
            data: bytes + headerLength, count: length - headerLength, tag: base + length)
        return length + Self.gcmTagLength
    }

    /// Verifies the SRTP packet `base[0..<length]` (tag included) as of `index` and decrypts
    /// it in place; returns the RTP length. Throws `.authenticationFailed` if the tag differs.
    func openRTP(_ base: UnsafeMutableRawPointer, length: Int, headerLength: Int, ssrc: UInt32, index: UInt64) throws(SRTPError) -> Int {
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        let roc = UInt32(truncatingIfNeeded: index >> 16)
        if let rtpMAC {
            let tagStart = length - Self.hmacTagLength
            storeWord(roc, at: word)
            try rtpMAC.authenticate(base, tagStart, word, 4, into: macOut)
            guard CRYPTO_memcmp(macOut, bytes + tagStart, Self.hmacTagLength) == 0 else { throw .authenticationFailed }
            counterIV(salt: rtpSalt, ssrc: ssrc, index: index)
            try rtpCipher.counterMode(iv: iv, data: bytes + headerLength, count: tagStart - headerLength)
            return tagStart
        }
        let tagStart = length - Self.gcmTagLength
        gcmIV(salt: rtpSalt, ssrc: ssrc, middle: roc, low: UInt16(truncatingIfNeeded: index))
        guard try rtpCipher.gcm(
            encrypt: false, iv: iv, aad: base, aadCount: headerLength, aad2: nil, aad2Count: 0,
            data: bytes + headerLength, count: tagStart - headerLength, tag: base + tagStart)
        else { throw .authenticationFailed }
        return tagStart
    }

    // MARK: SRTCP (RFC 3711 §3.4, RFC 7714 §9)

    /// Encrypts the RTCP compound packet `base[0..<length]` after its first 8 octets, appends
    /// E = 1 || the 31-bit SRTCP `index` and the tag; returns the SRTCP length.
    ///
    /// AES-CM: ciphertext || E||index || tag, the tag over header..index (RFC 3711 §3.4).
    /// AES-GCM: ciphertext || tag || E||index, AAD = the first 8 octets || E||index (RFC
    /// 7714 §9.2; the word follows the tag on the wire, as libsrtp and §17 have it).
    func sealRTCP(_ base: UnsafeMutableRawPointer, length: Int, ssrc: UInt32, index: UInt32) throws(SRTPError) -> Int {
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        let trailer = 0x8000_0000 | index
        if let rtcpMAC {
            counterIV(salt: rtcpSalt, ssrc: ssrc, index: UInt64(index))
            try rtcpCipher.counterMode(iv: iv, data: bytes + 8, count: length - 8)
            storeWord(trailer, at: base + length)
            try rtcpMAC.authenticate(base, length + 4, word, 0, into: macOut)
            (bytes + length + 4).update(from: macOut, count: Self.hmacTagLength)
            return length + 4 + Self.hmacTagLength
        }
        gcmIV(salt: rtcpSalt, ssrc: ssrc, middle: index >> 16, low: UInt16(truncatingIfNeeded: index))
        storeWord(trailer, at: word)
        _ = try rtcpCipher.gcm(
            encrypt: true, iv: iv, aad: base, aadCount: 8, aad2: word, aad2Count: 4,
            data: bytes + 8, count: length - 8, tag: base + length)
        storeWord(trailer, at: base + length + Self.gcmTagLength)
        return length + Self.gcmTagLength + 4
    }

    /// Where the E||index word of an SRTCP packet of `length` octets is.
    func rtcpTrailerOffset(length: Int) -> Int {
        profile.isAEAD ? length - 4 : length - 4 - Self.hmacTagLength
    }

    /// Verifies the SRTCP packet `base[0..<length]` and, if its E flag is set, decrypts it in
    /// place; returns the RTCP length. Throws `.authenticationFailed` if the tag differs.
    func openRTCP(_ base: UnsafeMutableRawPointer, length: Int, ssrc: UInt32) throws(SRTPError) -> Int {
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        let trailerAt = rtcpTrailerOffset(length: length)
        let trailer = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: trailerAt, as: UInt32.self))
        let encrypted = trailer & 0x8000_0000 != 0
        let index = trailer & 0x7fff_ffff
        if let rtcpMAC {
            let tagStart = length - Self.hmacTagLength
            try rtcpMAC.authenticate(base, tagStart, word, 0, into: macOut)
            guard CRYPTO_memcmp(macOut, bytes + tagStart, Self.hmacTagLength) == 0 else { throw .authenticationFailed }
            if encrypted {
                counterIV(salt: rtcpSalt, ssrc: ssrc, index: UInt64(index))
                try rtcpCipher.counterMode(iv: iv, data: bytes + 8, count: trailerAt - 8)
            }
            return trailerAt
        }
        let tagStart = length - 4 - Self.gcmTagLength
        gcmIV(salt: rtcpSalt, ssrc: ssrc, middle: index >> 16, low: UInt16(truncatingIfNeeded: index))
        storeWord(trailer, at: word)
        // E = 0 (RFC 7714 §9.3): everything before the tag is additional data.
        let aadCount = encrypted ? 8 : tagStart
        guard try rtcpCipher.gcm(
            encrypt: false, iv: iv, aad: base, aadCount: aadCount, aad2: word, aad2Count: 4,
            data: bytes + aadCount, count: tagStart - aadCount, tag: base + tagStart)
        else { throw .authenticationFailed }
        return tagStart
    }
}
