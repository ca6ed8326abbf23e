import Testing
import SRTP

/// The full `srtp_protect` path (key derivation, cipher, tag) through `SRTPSession`, checked
/// against libsrtp's reference packets (test/srtp_driver.c: `srtp_validate` and
/// `srtp_validate_gcm`). The AES-CM case uses RFC 3711 §B.3's master key and salt.
@Suite struct KnownPacketTests {
    static let rtpPlaintext = hex("800f1234 decafbad cafebabe abababab abababab abababab abababab")

    @Test func aesCM128HMACSHA1_80ReferencePacket() throws {
        let key = hex("E1F97A0D3E018BE0D64FA32C06DE4139"), salt = hex("0EC675AD498AFEEBB6960B3AABE6")
        let sender = try SRTPSession(profile: .aes128CMSHA1_80, masterKey: key, masterSalt: salt, direction: .outbound)
        let expected = hex("""
            800f1234 decafbad cafebabe 4e55dc4c e79978d8 8ca4d215 949d2402 b78d6acc 99ea179b 8dbb
            """)
        #expect(try sender.protectRTP(Self.rtpPlaintext) == expected)
        let receiver = try SRTPSession(profile: .aes128CMSHA1_80, masterKey: key, masterSalt: salt, direction: .inbound)
        #expect(try receiver.unprotectRTP(expected) == Self.rtpPlaintext)
    }

    @Test func aeadAES128GCMReferencePackets() throws {
        let key = hex("000102030405060708090a0b0c0d0e0f"), salt = hex("a0a1a2a3a4a5a6a7a8a9aaab")
        let sender = try SRTPSession(profile: .aeadAES128GCM, masterKey: key, masterSalt: salt, direction: .outbound)
        let srtp = hex("""
            800f1234 decafbad cafebabe c5002ede 04cfdd2e b91159e0 880aa06e d2976826 f796b201 df3131a1 27e8a392
            """)
        #expect(try sender.protectRTP(Self.rtpPlaintext) == srtp)
        let rtcp = hex("81c8000b cafebabe abababab abababab abababab abababab")
        let srtcp = hex("""
            81c8000b cafebabe c98b8b5d f0392a55 852b6c21 ac8e7025 c52c6fbe a2b3b446 ea31123b a88ce61e 80000001
            """)
        #expect(try sender.protectRTCP(rtcp) == srtcp)
        let receiver = try SRTPSession(profile: .aeadAES128GCM, masterKey: key, masterSalt: salt, direction: .inbound)
        #expect(try receiver.unprotectRTP(srtp) == Self.rtpPlaintext)
        #expect(try receiver.unprotectRTCP(srtcp) == rtcp)
    }
}
