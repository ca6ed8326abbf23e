import Testing
@testable import RTP

@Suite struct RTCPTests {
    func roundTrip(_ packet: RTCPPacket, _ expected: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
        var bytes: [UInt8] = []
        try packet.write(into: &bytes)
        #expect(hexString(bytes) == hexString(expected), sourceLocation: sourceLocation)
        #expect(try RTCPPacket.parseCompound(expected) == [packet], sourceLocation: sourceLocation)
    }

    static let senderReport = RTCPSenderReport(
        ssrc: 0x0102_0304, ntpTimestamp: 0xAABB_CCDD_1122_3344, rtpTimestamp: 0x5566_7788,
        packetCount: 10, octetCount: 1000,
        reportBlocks: [RTCPReportBlock(
            ssrc: 0x0A0B_0C0D, fractionLost: 0x40, cumulativeLost: -2,
            extendedHighestSequenceNumber: 0x0001_0005, jitter: 0x20,
            lastSenderReport: 0xBBCC_DD11, delaySinceLastSenderReport: 0x0001_0000)])

    @Test func senderReportWithBlock() throws {
        // RFC 3550 §6.4.1 layout; cumulative lost -2 is the 24-bit 0xFFFFFE.
        try roundTrip(.senderReport(Self.senderReport), hex("""
            81 c8 00 0c 01 02 03 04 aa bb cc dd 11 22 33 44 55 66 77 88 00 00 00 0a 00 00 03 e8
            0a 0b 0c 0d 40 ff ff fe 00 01 00 05 00 00 00 20 bb cc dd 11 00 01 00 00
            """))
    }

    @Test func receiverReport() throws {
        try roundTrip(.receiverReport(RTCPReceiverReport(ssrc: 0x0102_0304)), hex("80 c9 00 01 01 02 03 04"))
        let rr = RTCPReceiverReport(ssrc: 1, reportBlocks: [RTCPReportBlock(ssrc: 2, fractionLost: 1, cumulativeLost: 0x7F_FFFF)])
        try roundTrip(.receiverReport(rr), hex("81 c9 00 07 00 00 00 01 00 00 00 02 01 7f ff ff 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"))
    }

    @Test func sourceDescriptionCNAME() throws {
        // Chunk: SSRC, CNAME item (type 1, length 3, "abc"), null terminator, pad to 32 bits.
        let sdes = RTCPSourceDescription(ssrc: 0x0102_0304, cname: "abc")
        try roundTrip(.sourceDescription(sdes), hex("81 ca 00 03 01 02 03 04 01 03 61 62 63 00 00 00"))
        #expect(sdes.chunks[0].cname == "abc")
        // A 4-byte CNAME needs a whole extra word of nulls.
        try roundTrip(.sourceDescription(RTCPSourceDescription(ssrc: 1, cname: "abcd")),
                      hex("81 ca 00 03 00 00 00 01 01 04 61 62 63 64 00 00"))
    }

    @Test func goodbyeWithReason() throws {
        try roundTrip(.goodbye(RTCPGoodbye(ssrcs: [0x0102_0304], reason: "x")), hex("81 cb 00 02 01 02 03 04 01 78 00 00"))
        try roundTrip(.goodbye(RTCPGoodbye(ssrcs: [1, 2])), hex("82 cb 00 02 00 00 00 01 00 00 00 02"))
    }

    @Test func genericNACK() throws {
        // 101 and 103 fold into PID 100's BLP (bits 0 and 2); 117 is 17 away: a new entry.
        let nack = RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [100, 101, 103, 117, 200])
        let expected = hex("81 cd 00 05 00 00 00 01 00 00 00 02 00 64 00 05 00 75 00 00 00 c8 00 00")
        try roundTrip(.genericNACK(nack), expected)
        #expect(nack.lostSequenceNumbers == [100, 101, 103, 117, 200])
        var direct: [UInt8] = []
        RTCPGenericNACK.write(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [100, 101, 103, 117, 200] as [UInt16], into: &direct)
        #expect(direct == expected)
        // Across the 16-bit wrap.
        let wrapped = RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [65535, 0, 15])
        #expect(wrapped.entries == [.init(packetID: 65535, bitmaskOfLostPackets: 0x8001)])
        #expect(wrapped.lostSequenceNumbers == [65535, 0, 15])
    }

    @Test func pictureLossIndication() throws {
        try roundTrip(.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 2)),
                      hex("81 ce 00 02 00 00 00 01 00 00 00 02"))
    }

    @Test func fullIntraRequest() throws {
        // RFC 5104 §4.3.1: media SSRC 0, FCI = SSRC, seq nr, 24 reserved bits.
        try roundTrip(.fullIntraRequest(RTCPFullIntraRequest(senderSSRC: 1, entries: [.init(ssrc: 2, sequenceNumber: 7)])),
                      hex("84 ce 00 04 00 00 00 01 00 00 00 00 00 00 00 02 07 00 00 00"))
    }

    @Test func receiverEstimatedMaximumBitrate() throws {
        // 1 Mbit/s: exponent 2, mantissa 250000 (0x3D090) → 0x0BD090.
        try roundTrip(.receiverEstimatedMaximumBitrate(.init(senderSSRC: 1, bitrate: 1_000_000, ssrcs: [0x1122_3344])),
                      hex("8f ce 00 05 00 00 00 01 00 00 00 00 52 45 4d 42 01 0b d0 90 11 22 33 44"))
        // The layout libwebrtc's REMB unit test uses: 3 SSRCs, exponent 1, mantissa 0x3FB93.
        try roundTrip(.receiverEstimatedMaximumBitrate(.init(
            senderSSRC: 0x1234_5678, bitrate: 0x3FB93 << 1, ssrcs: [0x1234_5679, 0x2345_678B, 0x3456_789C])),
            hex("8f ce 00 07 12 34 56 78 00 00 00 00 52 45 4d 42 03 07 fb 93 12 34 56 79 23 45 67 8b 34 56 78 9c"))
    }

    @Test func transportFeedbackBuild() throws {
        // Statuses small, small, not received, large (300 ticks), small: one 2-bit vector
        // chunk 11|01 01 00 10 01 00 00 = 0xD490; deltas 04 04 012c 01; one padding byte.
        let fb = RTCPTransportFeedback(
            senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 100, referenceTime: 16, feedbackPacketCount: 3,
            packetStatuses: [.received(delta: 4), .received(delta: 4), .notReceived, .received(delta: 300), .received(delta: 1)])
        try roundTrip(.transportFeedback(fb), hex("af cd 00 06 00 00 00 01 00 00 00 02 00 64 00 05 00 00 10 03 d4 90 04 04 01 2c 01 01"))
    }

    @Test func transportFeedbackRunLengthExample() throws {
        // draft §3.1.3 example: |0|00|0000011011101| = run of 221 "not received".
        let bytes = hex("8f cd 00 05 00 00 00 01 00 00 00 02 00 00 00 dd ff ff c0 00 00 dd 00 00")
        let packets = try RTCPPacket.parseCompound(bytes)
        guard case .transportFeedback(let fb) = packets.first else { Issue.record("not transport-cc"); return }
        #expect(fb.packetStatuses.count == 221 && fb.packetStatuses.allSatisfy { $0 == .notReceived })
        #expect(fb.referenceTime == -64)
        #expect(fb.chunks() == [0x00DD])
    }

    @Test func transportFeedbackStatusVectorExample() throws {
        // draft §3.1.4 example: |1|0|00111110001110 0| = 1 lost, 5 received, 3 lost, 3 received, 2 lost.
        var bytes = hex("8f cd 00 00 00 00 00 01 00 00 00 02 00 0a 00 0e 00 00 01 00 9f 1c")
        bytes += [1, 2, 3, 4, 5, 6, 7, 8] + [0, 0]  // 8 small deltas, then zero padding
        bytes[3] = UInt8(bytes.count / 4 - 1)
        let packets = try RTCPPacket.parseCompound(bytes)
        guard case .transportFeedback(let fb) = packets.first else { Issue.record("not transport-cc"); return }
        let received = fb.packetStatuses.map { $0 != .notReceived }
        #expect(received == [false, true, true, true, true, true, false, false, false, true, true, true, false, false])
        #expect(fb.packetStatuses[1] == .received(delta: 1) && fb.packetStatuses[11] == .received(delta: 8))
        #expect(fb.chunks() == [0x9F1C])
    }

    @Test func transportFeedbackLongRoundTrip() throws {
        var statuses: [RTCPTransportFeedback.PacketStatus] = []
        var random = TestRandom(state: 3)
        for i in 0..<500 {
            if i > 100 && i < 140 { statuses.append(.notReceived); continue }
            switch random.below(10) {
            case 0: statuses.append(.notReceived)
            case 1: statuses.append(.received(delta: -5))
            case 2: statuses.append(.received(delta: 2000))
            default: statuses.append(.received(delta: Int16(random.below(256))))
            }
        }
        let fb = RTCPTransportFeedback(senderSSRC: 9, mediaSSRC: 8, baseSequenceNumber: 65500,
                                       referenceTime: -3, feedbackPacketCount: 255, packetStatuses: statuses)
        let bytes = try RTCPPacket.serialize([.transportFeedback(fb)])
        #expect(bytes.count % 4 == 0)
        #expect(try RTCPPacket.parseCompound(bytes) == [.transportFeedback(fb)])
    }

    @Test func extendedReportRRTRAndDLRR() throws {
        // RFC 3611 §4.4 (BT 4, length 2) and §4.5 (BT 5, length 3 per sub-block).
        let xr = RTCPExtendedReport(ssrc: 1, blocks: [
            .receiverReferenceTime(ntpTimestamp: 0x0102_0304_0506_0708),
            .dlrr([.init(ssrc: 2, lastReceiverReport: 0x0304_0506, delaySinceLastReceiverReport: 0x10000)]),
        ])
        try roundTrip(.extendedReport(xr), hex("""
            80 cf 00 08 00 00 00 01 04 00 00 02 01 02 03 04 05 06 07 08
            05 00 00 03 00 00 00 02 03 04 05 06 00 01 00 00
            """))
        #expect(throws: RTPError.invalidLength) { try RTCPPacket.parseCompound(hex("80 cf 00 02 00 00 00 01 05 00 00 09")) }
    }

    @Test func compoundPacket() throws {
        let packets: [RTCPPacket] = [
            .senderReport(Self.senderReport),
            .sourceDescription(RTCPSourceDescription(ssrc: 0x0102_0304, cname: "tincan")),
            .genericNACK(RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [5])),
            .pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 2)),
            .goodbye(RTCPGoodbye(ssrcs: [0x0102_0304])),
        ]
        let bytes = try RTCPPacket.serialize(packets)
        #expect(try RTCPPacket.parseCompound(bytes) == packets)
        #expect(isRTCPPacket(bytes))
    }

    @Test func reducedSizeSinglePackets() throws {
        // RFC 5506: a lone PLI or NACK (no leading RR) is accepted.
        #expect(try RTCPPacket.parseCompound(hex("81 ce 00 02 00 00 00 01 00 00 00 02")).count == 1)
        #expect(try RTCPPacket.parseCompound(hex("81 cd 00 03 00 00 00 01 00 00 00 02 00 05 00 00")).count == 1)
    }

    @Test func unknownPacketsAreKept() throws {
        let app = hex("80 cc 00 02 00 00 00 01 6e 61 6d 65")
        #expect(try RTCPPacket.parseCompound(app) == [.unknown(packetType: 204, count: 0, body: hex("00 00 00 01 6e 61 6d 65"))])
        // Payload-specific FMT 15 that is not "REMB" is not mistaken for it.
        let other = hex("8f ce 00 03 00 00 00 01 00 00 00 00 41 42 43 44")
        guard case .unknown = try RTCPPacket.parseCompound(other).first else { Issue.record("parsed as REMB"); return }
    }

    @Test func rejectsMalformed() {
        #expect(throws: RTPError.truncated) { try RTCPPacket.parseCompound([UInt8]()) }
        #expect(throws: RTPError.invalidLength) { try RTCPPacket.parseCompound(hex("80 c9 00 05 00 00 00 01")) }
        #expect(throws: RTPError.unsupportedVersion(0)) { try RTCPPacket.parseCompound(hex("00 c9 00 01 00 00 00 01")) }
        // SR count says one block, none present.
        #expect(throws: RTPError.truncated) { try RTCPPacket.parseCompound(hex("81 c8 00 06 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")) }
        // Padding count beyond the packet.
        #expect(throws: RTPError.invalidPadding) { try RTCPPacket.parseCompound(hex("a0 c9 00 01 00 00 00 09")) }
        // transport-cc announcing 100 statuses with no chunks.
        #expect(throws: RTPError.truncated) { try RTCPPacket.parseCompound(hex("8f cd 00 04 00 00 00 01 00 00 00 02 00 00 00 64 00 00 00 00")) }
        // SDES item running past the packet.
        #expect(throws: RTPError.truncated) { try RTCPPacket.parseCompound(hex("81 ca 00 02 00 00 00 01 01 09 61 62")) }
    }

    @Test func garbageNeverTraps() throws {
        var random = TestRandom(state: 11)
        let valid = try RTCPPacket.serialize([
            .senderReport(Self.senderReport),
            .transportFeedback(RTCPTransportFeedback(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 1, referenceTime: 1,
                                                     feedbackPacketCount: 1, packetStatuses: [.received(delta: 1), .notReceived, .received(delta: -1)])),
            .receiverEstimatedMaximumBitrate(.init(senderSSRC: 1, bitrate: 5, ssrcs: [1])),
        ])
        for n in 0...valid.count { _ = try? RTCPPacket.parseCompound(Array(valid[0..<n])) }
        for _ in 0..<20_000 {
            var bytes = random.below(2) == 0 ? random.bytes(random.below(80)) : valid
            // Flip a few bytes of the valid packet, keeping version 2 mostly.
            for _ in 0..<3 where !bytes.isEmpty { bytes[random.below(bytes.count)] = UInt8(random.below(256)) }
            if !bytes.isEmpty { bytes[0] = bytes[0] & 0x3F | 0x80 }
            _ = try? RTCPPacket.parseCompound(bytes)
        }
    }
}
