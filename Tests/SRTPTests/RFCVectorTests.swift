import Testing
@testable import SRTP

/// RFC 3711 §B.2's keystream: its first three blocks and the last three of the 65282-block
/// segment, which both implementations must produce.
enum RFC3711B2 {
    static let firstBlocks = hex("""
        E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB
        41E95B3BB0A2E8DD477901E4FCA894C0
        """)
    static let lastBlocks = hex("""
        EC8CDF7398607CB0F2D21675EA9EA1E4 362B7C3C6773516318A077D7FC5073AE
        6A2CC3787889374FBEB4C81B17BA6C44
        """)
}

/// RFC 3711 Appendix B and RFC 7714 §16/§17 vectors, run against libsrtp's ciphers (the
/// reference) and against this module's own primitives (`OwnRFCVectorTests`).
///
/// These RFC vectors give *session* keys, which libsrtp's public `srtp_protect` never accepts
/// (it always derives them from a master key), so they are run through libsrtp's own cipher
/// objects with the IVs built as the RFCs specify. The full `srtp_protect` path, key
/// derivation included, is checked against libsrtp's reference packets in KnownPacketTests.
@Suite struct RFCVectorTests {
    /// RFC 3711 §B.2: AES-CM keystream for session key 2B7E..., salt F0F1...FCFD, SSRC 0,
    /// index 0: the first three blocks and the last three of the 65282-block segment.
    @Test func rfc3711AppendixB2AESCMKeystream() throws {
        let cipher = try LibsrtpCipher(
            type: "srtp_aes_icm_128", keyLengthWithSalt: 30, tagLength: 0,
            key: hex("2B7E151628AED2A6ABF7158809CF4F3C") + hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"))
        let keystream = try cipher.encrypt(
            iv: [UInt8](repeating: 0, count: 16), plaintext: [UInt8](repeating: 0, count: 65282 * 16))
        #expect(keystream.count == 1_044_512)
        #expect(Array(keystream[0..<48]) == RFC3711B2.firstBlocks)
        #expect(Array(keystream[(0xFEFF * 16)...]) == RFC3711B2.lastBlocks)
    }

    /// RFC 3711 §B.3: the AES-CM PRF with master key E1F9..., master salt 0EC6..., and the
    /// labels 0x00 (cipher key), 0x02 (cipher salt), 0x01 (auth key), index DIV kdr = 0.
    /// libsrtp's KDF is this same AES-CM run with the label in byte 7 of the IV.
    @Test func rfc3711AppendixB3KeyDerivation() throws {
        let masterKey = hex("E1F97A0D3E018BE0D64FA32C06DE4139")
        let masterSalt = hex("0EC675AD498AFEEBB6960B3AABE6")
        func derive(label: UInt8, length: Int) throws -> [UInt8] {
            let prf = try LibsrtpCipher(
                type: "srtp_aes_icm_128", keyLengthWithSalt: 30, tagLength: 0, key: masterKey + masterSalt)
            var iv = [UInt8](repeating: 0, count: 16)
            iv[7] = label
            return try prf.encrypt(iv: iv, plaintext: [UInt8](repeating: 0, count: length))
        }
        #expect(try derive(label: 0x00, length: 16) == hex("C61E7A93744F39EE10734AFE3FF7A087"))
        #expect(try derive(label: 0x02, length: 14) == hex("30CBBC08863D8C85D49DB34A9AE1"))
        #expect(try derive(label: 0x01, length: 94) == hex("""
            CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE
            E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25
            6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2
            """))
    }

    // RFC 7714 §16 (SRTP) and §17 (SRTCP) example packets.
    static let salt = hex("51 75 69 64 20 70 72 6f 20 71 75 6f")
    static let rtpPlaintext = hex("""
        8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976
        69736120 696e2070 61727465 73207472 6573
        """)
    static let rtcpPlaintext = hex("""
        81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
        deadbeef deadbeef deadbeef deadbeef deadbeef
        """)

    struct GCMCase: Sendable, CustomTestStringConvertible {
        let name: String
        let symbol: String
        let keyLengthWithSalt: Int
        let key: [UInt8]
        let srtp: [UInt8]
        let srtcp: [UInt8]
        var testDescription: String { name }
    }

    static let gcmCases: [GCMCase] = [
        GCMCase(
            name: "AEAD_AES_128_GCM", symbol: "srtp_aes_gcm_128", keyLengthWithSalt: 28,
            key: hex("000102030405060708090a0b0c0d0e0f"),
            srtp: hex("""
                8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5
                0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce
                """),
            srtcp: hex("""
                81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d
                c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872
                45d9eade 800005d4
                """)),
        GCMCase(
            name: "AEAD_AES_256_GCM", symbol: "srtp_aes_gcm_256", keyLengthWithSalt: 44,
            key: hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
            srtp: hex("""
                8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238
                9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13
                """),
            srtcp: hex("""
                81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50
                a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c
                b26ac3be 800005d4
                """)),
    ]

    /// RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt; AAD = the RTP header.
    @Test(arguments: gcmCases) func rfc7714Section16SRTPPacket(_ vector: GCMCase) throws {
        let cipher = try LibsrtpCipher(
            type: vector.symbol, keyLengthWithSalt: vector.keyLengthWithSalt, tagLength: 16, key: vector.key)
        let header = Array(Self.rtpPlaintext[0..<12])
        let ssrc = Array(header[8..<12]), seq = Array(header[2..<4]), roc: [UInt8] = [0, 0, 0, 0]
        let iv = zip([0, 0] + ssrc + roc + seq, Self.salt).map { $0 ^ $1 }
        let sealed = try cipher.encrypt(
            iv: iv, aad: header, plaintext: Array(Self.rtpPlaintext[12...]), tagLength: 16)
        #expect(header + sealed == vector.srtp)
    }

    /// RFC 7714 §9.1: IV = (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt;
    /// AAD = the first 8 octets || E flag + SRTCP index; the packet ends with that word.
    @Test(arguments: gcmCases) func rfc7714Section17SRTCPPacket(_ vector: GCMCase) throws {
        let cipher = try LibsrtpCipher(
            type: vector.symbol, keyLengthWithSalt: vector.keyLengthWithSalt, tagLength: 16, key: vector.key)
        let header = Array(Self.rtcpPlaintext[0..<8])
        let index: [UInt8] = [0x00, 0x00, 0x05, 0xd4]
        let eAndIndex: [UInt8] = [0x80, 0x00, 0x05, 0xd4]
        let iv = zip([0, 0] + Array(header[4..<8]) + [0, 0] + index, Self.salt).map { $0 ^ $1 }
        let sealed = try cipher.encrypt(
            iv: iv, aad: header + eAndIndex, plaintext: Array(Self.rtcpPlaintext[8...]), tagLength: 16)
        #expect(header + sealed + eAndIndex == vector.srtcp)
    }
}

/// The same vectors against the OpenSSL-based implementation's internals: the key
/// derivation (`KeyDerivation`), AES-CM (`CipherContext`) and the packet transforms
/// (`PacketCrypto`, given the RFC's session keys).
@Suite struct OwnRFCVectorTests {
    /// RFC 3711 §B.2 through `CipherContext.counterMode`: IV = salt || 0x0000 (SSRC 0, i 0).
    @Test func rfc3711AppendixB2AESCMKeystream() throws {
        let cipher = try CipherContext(cipher: SRTPLibrary.algorithms().aes128CTR, key: hex("2B7E151628AED2A6ABF7158809CF4F3C"))
        let iv = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD") + [0, 0]
        var keystream = [UInt8](repeating: 0, count: 65282 * 16)
        try iv.withUnsafeBufferPointer { ivp in
            try keystream.withUnsafeMutableBufferPointer { k in
                try cipher.counterMode(iv: ivp.baseAddress!, data: k.baseAddress!, count: k.count)
            }
        }
        #expect(Array(keystream[0..<48]) == RFC3711B2.firstBlocks)
        #expect(Array(keystream[(0xFEFF * 16)...]) == RFC3711B2.lastBlocks)
        // A second packet on the same context restarts the keystream at the new IV.
        var again = [UInt8](repeating: 0, count: 32)
        try iv.withUnsafeBufferPointer { ivp in
            try again.withUnsafeMutableBufferPointer { k in try cipher.counterMode(iv: ivp.baseAddress!, data: k.baseAddress!, count: 32) }
        }
        #expect(again == Array(keystream[0..<32]))
    }

    /// RFC 3711 §B.3: the session keys `KeyDerivation` derives from the master key and salt.
    @Test func rfc3711AppendixB3KeyDerivation() throws {
        let masterKey = hex("E1F97A0D3E018BE0D64FA32C06DE4139")
        let masterSalt = hex("0EC675AD498AFEEBB6960B3AABE6")
        #expect(try KeyDerivation.derive(masterKey: masterKey, masterSalt: masterSalt, label: .rtpEncryption, length: 16)
            == hex("C61E7A93744F39EE10734AFE3FF7A087"))
        #expect(try KeyDerivation.derive(masterKey: masterKey, masterSalt: masterSalt, label: .rtpSalt, length: 14)
            == hex("30CBBC08863D8C85D49DB34A9AE1"))
        #expect(try KeyDerivation.derive(masterKey: masterKey, masterSalt: masterSalt, label: .rtpAuthentication, length: 94) == hex("""
            CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE
            E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25
            6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2
            """))
        let (rtp, _) = try KeyDerivation.sessionKeys(profile: .aes128CMSHA1_80, masterKey: masterKey, masterSalt: masterSalt)
        #expect(rtp.cipherKey == hex("C61E7A93744F39EE10734AFE3FF7A087"))
        #expect(rtp.salt == hex("30CBBC08863D8C85D49DB34A9AE1"))
        #expect(rtp.authKey == hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"))
    }

    static func crypto(_ vector: RFCVectorTests.GCMCase) throws -> PacketCrypto {
        let profile: SRTPProtectionProfile = vector.key.count == 32 ? .aeadAES256GCM : .aeadAES128GCM
        let keys = SessionKeys(cipherKey: vector.key, salt: RFCVectorTests.salt, authKey: [])
        return try PacketCrypto(profile: profile, rtp: keys, rtcp: keys)
    }

    /// RFC 7714 §16 through `PacketCrypto.sealRTP` / `openRTP` (SSRC 0x5501a0b2, ROC 0, SEQ 0xf17b).
    @Test(arguments: RFCVectorTests.gcmCases) func rfc7714Section16SRTPPacket(_ vector: RFCVectorTests.GCMCase) throws {
        let crypto = try Self.crypto(vector)
        let plain = RFCVectorTests.rtpPlaintext
        var buffer = plain + [UInt8](repeating: 0, count: 16)
        let n = try buffer.withUnsafeMutableBytes { raw in
            try crypto.sealRTP(raw.baseAddress!, length: plain.count, headerLength: 12, ssrc: 0x5501a0b2, index: 0xf17b)
        }
        #expect(Array(buffer[0..<n]) == vector.srtp)
        let m = try buffer.withUnsafeMutableBytes { raw in
            try crypto.openRTP(raw.baseAddress!, length: n, headerLength: 12, ssrc: 0x5501a0b2, index: 0xf17b)
        }
        #expect(Array(buffer[0..<m]) == plain)
    }

    /// RFC 7714 §17 through `PacketCrypto.sealRTCP` / `openRTCP` (SRTCP index 0x5d4).
    @Test(arguments: RFCVectorTests.gcmCases) func rfc7714Section17SRTCPPacket(_ vector: RFCVectorTests.GCMCase) throws {
        let crypto = try Self.crypto(vector)
        let plain = RFCVectorTests.rtcpPlaintext
        var buffer = plain + [UInt8](repeating: 0, count: 20)
        let n = try buffer.withUnsafeMutableBytes { raw in
            try crypto.sealRTCP(raw.baseAddress!, length: plain.count, ssrc: 0x4d617273, index: 0x5d4)
        }
        #expect(Array(buffer[0..<n]) == vector.srtcp)
        let m = try buffer.withUnsafeMutableBytes { raw in
            try crypto.openRTCP(raw.baseAddress!, length: n, ssrc: 0x4d617273)
        }
        #expect(Array(buffer[0..<m]) == plain)
    }
}
