import Testing
import SRTP

@Suite struct SRTPSessionTests {
    static func keys(_ profile: SRTPProtectionProfile) -> ([UInt8], [UInt8]) {
        ((0..<profile.masterKeyLength).map { UInt8($0 &* 7 &+ 1) },
         (0..<profile.masterSaltLength).map { UInt8($0 &* 13 &+ 5) })
    }

    static func pair(_ profile: SRTPProtectionProfile) throws -> (SRTPSession, SRTPSession) {
        let (key, salt) = keys(profile)
        return (try SRTPSession(profile: profile, masterKey: key, masterSalt: salt, direction: .outbound),
                try SRTPSession(profile: profile, masterKey: key, masterSalt: salt, direction: .inbound))
    }

    static func rtp(seq: UInt16, ssrc: UInt32 = 0x1234_5678, payload: Int = 100) -> [UInt8] {
        [0x80, 96, UInt8(seq >> 8), UInt8(seq & 0xff), 0, 0, 0x10, 0x00,
         UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xff), UInt8((ssrc >> 8) & 0xff), UInt8(ssrc & 0xff)]
            + (0..<payload).map { UInt8(truncatingIfNeeded: $0 &+ Int(seq)) }
    }

    static let rtcpReceiverReport: [UInt8] = [
        0x81, 201, 0x00, 0x07, 0x12, 0x34, 0x56, 0x78,
        0xca, 0xfe, 0xba, 0xbe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
        0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]

    @Test(arguments: SRTPProtectionProfile.allCases)
    func roundTripRTPAndRTCP(_ profile: SRTPProtectionProfile) throws {
        let (sender, receiver) = try Self.pair(profile)
        for seq in UInt16(1)...20 {
            let packet = Self.rtp(seq: seq)
            let protected = try sender.protectRTP(packet)
            #expect(protected.count == packet.count + profile.rtpOverhead)
            #expect(protected[12...] != packet[12...])
            #expect(try receiver.unprotectRTP(protected) == packet)
        }
        let srtcp = try sender.protectRTCP(Self.rtcpReceiverReport)
        #expect(srtcp.count == Self.rtcpReceiverReport.count + profile.rtcpOverhead)
        #expect(try receiver.unprotectRTCP(srtcp) == Self.rtcpReceiverReport)
    }

    @Test(arguments: SRTPProtectionProfile.allCases)
    func replayedPacketIsRefused(_ profile: SRTPProtectionProfile) throws {
        let (sender, receiver) = try Self.pair(profile)
        let protected = try sender.protectRTP(Self.rtp(seq: 42))
        _ = try receiver.unprotectRTP(protected)
        #expect(throws: SRTPError.replay) { try receiver.unprotectRTP(protected) }
        let srtcp = try sender.protectRTCP(Self.rtcpReceiverReport)
        _ = try receiver.unprotectRTCP(srtcp)
        #expect(throws: SRTPError.replay) { try receiver.unprotectRTCP(srtcp) }
    }

    @Test(arguments: SRTPProtectionProfile.allCases)
    func tamperedPacketFailsAuthentication(_ profile: SRTPProtectionProfile) throws {
        let (sender, receiver) = try Self.pair(profile)
        var protected = try sender.protectRTP(Self.rtp(seq: 7))
        protected[20] ^= 0x01
        #expect(throws: SRTPError.authenticationFailed) { try receiver.unprotectRTP(protected) }
        var srtcp = try sender.protectRTCP(Self.rtcpReceiverReport)
        srtcp[10] ^= 0x80
        #expect(throws: SRTPError.authenticationFailed) { try receiver.unprotectRTCP(srtcp) }
    }

    @Test func wrongKeyFailsAuthentication() throws {
        let (key, salt) = Self.keys(.aeadAES128GCM)
        let sender = try SRTPSession(profile: .aeadAES128GCM, masterKey: key, masterSalt: salt, direction: .outbound)
        var otherKey = key
        otherKey[0] ^= 0xff
        let receiver = try SRTPSession(profile: .aeadAES128GCM, masterKey: otherKey, masterSalt: salt, direction: .inbound)
        #expect(throws: SRTPError.authenticationFailed) { try receiver.unprotectRTP(sender.protectRTP(Self.rtp(seq: 1))) }
    }

    @Test func inPlaceProtectNeedsTrailerRoom() throws {
        let (sender, receiver) = try Self.pair(.aes128CMSHA1_80)
        let packet = Self.rtp(seq: 9)
        var small = packet + [UInt8](repeating: 0, count: 4)
        _ = small.withUnsafeMutableBytes { raw in
            #expect(throws: SRTPError.bufferTooSmall(needed: packet.count + SRTPSession.trailerCapacity, available: raw.count)) {
                try sender.protectRTP(raw, length: packet.count)
            }
        }
        var buffer = [UInt8](repeating: 0, count: 1500 + SRTPSession.trailerCapacity)
        buffer.replaceSubrange(0..<packet.count, with: packet)
        let n = try buffer.withUnsafeMutableBytes { raw in
            let sealed = try sender.protectRTP(raw, length: packet.count)
            return try receiver.unprotectRTP(raw, length: sealed)
        }
        #expect(Array(buffer[0..<n]) == packet)
    }

    @Test func badKeyLengthsAndShortPacketsThrow() throws {
        #expect(throws: SRTPError.badKeyLength(expected: 32, got: 16)) {
            try SRTPSession(profile: .aeadAES256GCM, masterKey: [UInt8](repeating: 1, count: 16),
                            masterSalt: [UInt8](repeating: 1, count: 12), direction: .outbound)
        }
        let (_, receiver) = try Self.pair(.aeadAES128GCM)
        #expect(throws: SRTPError.self) { try receiver.unprotectRTP([0x80, 0x00, 0x01]) }
        #expect(throws: SRTPError.self) { try receiver.unprotectRTCP([]) }
    }

    @Test func keyingMaterialSplitsRFC5764Layout() throws {
        let profile = SRTPProtectionProfile.aes128CMSHA1_80
        let exported = (0..<SRTPKeyingMaterial.exportLength(for: profile)).map { UInt8($0) }
        let keys = try SRTPKeyingMaterial(profile: profile, exported: exported)
        #expect(keys.clientMasterKey == Array(0..<16))
        #expect(keys.serverMasterKey == Array(16..<32))
        #expect(keys.clientMasterSalt == Array(32..<46))
        #expect(keys.serverMasterSalt == Array(46..<60))
        #expect(throws: SRTPError.self) { try SRTPKeyingMaterial(profile: profile, exported: Array(exported.dropLast())) }
        // What the client sends, the server's inbound session opens, and the reverse.
        let clientOut = try keys.makeOutboundSession(isDTLSClient: true)
        let serverIn = try keys.makeInboundSession(isDTLSClient: false)
        let serverOut = try keys.makeOutboundSession(isDTLSClient: false)
        let clientIn = try keys.makeInboundSession(isDTLSClient: true)
        let packet = Self.rtp(seq: 3)
        #expect(try serverIn.unprotectRTP(clientOut.protectRTP(packet)) == packet)
        #expect(try clientIn.unprotectRTP(serverOut.protectRTP(packet)) == packet)
        #expect(throws: SRTPError.authenticationFailed) { try clientIn.unprotectRTP(clientOut.protectRTP(Self.rtp(seq: 4))) }
        // Directions per RFC 5764 §4.2: the client sends with the client_write key and salt.
        let byClientKey = try SRTPSession(profile: profile, masterKey: keys.clientMasterKey,
                                          masterSalt: keys.clientMasterSalt, direction: .inbound)
        let byServerKey = try SRTPSession(profile: profile, masterKey: keys.serverMasterKey,
                                          masterSalt: keys.serverMasterSalt, direction: .inbound)
        #expect(try byClientKey.unprotectRTP(clientOut.protectRTP(Self.rtp(seq: 5))) == Self.rtp(seq: 5))
        #expect(try byServerKey.unprotectRTP(serverOut.protectRTP(Self.rtp(seq: 5))) == Self.rtp(seq: 5))
    }
}
