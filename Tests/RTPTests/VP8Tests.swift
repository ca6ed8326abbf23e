import Testing
@testable import RTP

@Suite struct VP8Tests {
    func parse(_ text: String) throws -> (VP8PayloadDescriptor, Int) { try VP8PayloadDescriptor.parse(hex(text)) }

    @Test func minimalDescriptor() throws {
        // §4.2: X=0, S=1, PID=0; one payload byte follows.
        let (d, n) = try parse("10 9d")
        #expect(n == 1 && d.startOfPartition && d.partitionIndex == 0 && d.isFrameStart && d.pictureID == nil)
        var out: [UInt8] = []
        try d.write(into: &out)
        #expect(out == [0x10])
    }

    @Test func sevenBitPictureID() throws {
        // X=1, S=1; I=1; M=0 with picture ID 0x35.
        let (d, n) = try parse("90 80 35 00")
        #expect(n == 3 && d.pictureID == 0x35 && !d.pictureIDIs15Bit)
        var out: [UInt8] = []
        try d.write(into: &out)
        #expect(out == hex("90 80 35"))
    }

    @Test func fifteenBitPictureID() throws {
        // M=1: 15-bit picture ID 0x1234 in two bytes (0x92 0x34).
        let (d, n) = try parse("90 80 92 34 00")
        #expect(n == 4 && d.pictureID == 0x1234 && d.pictureIDIs15Bit)
        var out: [UInt8] = []
        try d.write(into: &out)
        #expect(out == hex("90 80 92 34"))
    }

    @Test func allOptionalFields() throws {
        // N=1, PID=3; I (M=1, 0x7FFF), L (TL0PICIDX 5), T and K: TID=2, Y=1, KEYIDX=3 → 0xA3.
        let (d, n) = try parse("a3 f0 ff ff 05 a3 00")
        #expect(n == 6)
        #expect(d == VP8PayloadDescriptor(
            nonReferenceFrame: true, startOfPartition: false, partitionIndex: 3, pictureID: 0x7FFF,
            pictureIDIs15Bit: true, temporalLevelZeroIndex: 5, temporalLayerIndex: 2, layerSync: true, keyIndex: 3))
        var out: [UInt8] = []
        try d.write(into: &out)
        #expect(out == hex("a3 f0 ff ff 05 a3"))
        // K without T: TID bits are ignored.
        let (k, _) = try parse("80 10 1f 00")
        #expect(k.keyIndex == 31 && k.temporalLayerIndex == nil)
    }

    @Test func truncatedDescriptorsThrow() {
        for bad in ["", "80", "80 80", "90 80 92", "80 40", "80 20", "10"] {
            #expect(throws: RTPError.truncated, "\(bad)") { try parse(bad) }
        }
    }

    @Test func keyframeDetectionFromPayloadHeader() {
        // §4.3: P bit (bit 0 of the first VP8 payload header byte) is 0 for keyframes.
        func key(_ text: String) -> Bool { hex(text).withUnsafeBytes { VP8Depacketizer.isKeyframe($0) } }
        #expect(key("10 50 2a 00"))
        #expect(!key("10 51 2a 00"))
        #expect(key("90 80 92 34 50 2a 00 9d 01 2a"))
        #expect(!key("80 80 92 34 9c"))  // not a partition start
        #expect(!key("11 50"))  // PID 1
    }

    @Test func packetizerSplitsAndDepacketizerRebuilds() throws {
        var frame = [UInt8](repeating: 0, count: 5000)
        for i in frame.indices { frame[i] = UInt8(truncatingIfNeeded: i * 7) }
        frame[0] = 0x50  // keyframe payload header
        var packetizer = VP8Packetizer(maxPayloadSize: 1200, initialPictureID: 0x7FFE)
        var payloads: [[UInt8]] = []
        var markers: [Bool] = []
        packetizer.packetize(frame) { payload, last in
            payloads.append(Array(payload))
            markers.append(last)
        }
        #expect(payloads.count == 5 && payloads.allSatisfy { $0.count <= 1200 })
        #expect(markers == [false, false, false, false, true])
        #expect(payloads[0][0] == 0x90 && payloads[1][0] == 0x80)
        #expect(Array(payloads[0][1...3]) == hex("80 ff fe"))
        #expect(payloads.first!.withUnsafeBytes { VP8Depacketizer.isKeyframe($0) })
        var rebuilt: [UInt8] = []
        for p in payloads { try appendFrame(VP8Depacketizer.self, p, to: &rebuilt) }
        #expect(rebuilt == frame)
        // The picture ID wraps at 15 bits.
        packetizer.packetize([0x51, 1, 2]) { payload, _ in #expect(Array(payload[1...3]) == hex("80 ff ff")) }
        packetizer.packetize([0x51, 1, 2]) { payload, _ in #expect(Array(payload[1...3]) == hex("80 80 00")) }
    }

    @Test func opusPacketization() throws {
        var p = OpusPacketizer(initialTimestamp: 1000)
        var seen: [UInt32] = []
        let packet: [UInt8] = [0xFC, 1, 2, 3]
        try packet.withUnsafeBytes { raw in
            try p.packetize(raw, samplesPerChannelAt48kHz: 960) { payload, ts in
                #expect(Array(payload) == packet)
                seen.append(ts)
            }
            try p.packetize(raw, samplesPerChannelAt48kHz: 960) { _, ts in seen.append(ts) }
        }
        #expect(seen == [1000, 1960])
        #expect(throws: RTPError.truncated) {
            var f: [UInt8] = []
            try appendFrame(OpusDepacketizer.self, [], to: &f)
        }
    }
}

@Suite struct PayloadGarbageTests {
    @Test func vp8GarbageNeverTraps() {
        var random = TestRandom(state: 21)
        var parsed = 0
        for _ in 0..<20_000 {
            let bytes = random.bytes(random.below(10))
            if let (_, n) = try? VP8PayloadDescriptor.parse(bytes) {
                parsed += 1
                #expect(n < bytes.count)
            }
            var frame: [UInt8] = []
            _ = try? appendFrame(VP8Depacketizer.self, bytes, to: &frame)
            _ = bytes.withUnsafeBytes { VP8Depacketizer.isKeyframe($0) || VP8Depacketizer.isFrameStart($0) }
        }
        #expect(parsed > 1000)
    }

    @Test func senderIgnoresGarbageRTCP() throws {
        var sender = RTPSendStream(configuration: StreamTests.senderConfig)
        var random = TestRandom(state: 5)
        var rejected = 0
        for _ in 0..<5_000 {
            var bytes = random.bytes(4 + random.below(60))
            bytes[0] = 0x80 | (bytes[0] & 0x3F)
            bytes[1] = UInt8(200 + random.below(8))
            bytes[2] = 0
            bytes[3] = UInt8(bytes.count / 4 - 1)
            do {
                _ = try bytes.withUnsafeBytes { raw in try sender.handleRTCP(raw, at: .zero) { _ in } }
            } catch {
                rejected += 1
            }
        }
        #expect(rejected > 0 && rejected < 5_000)
    }
}
