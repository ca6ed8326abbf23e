import Testing
@testable import RTP

@Suite struct RTPPacketTests {
    /// Hand-computed layout: V=2 X=1 M=1 PT=96, one-byte extensions mid "a" (ID 1),
    /// abs-send-time (ID 3), transport-cc (ID 5), padded to 3 words (RFC 8285 §4.2).
    static let withExtensions = hex("""
        90 e0 12 34  de ad be ef  11 22 33 44
        be de 00 03  10 61 32 12  34 56 51 ab  cd 00 00 00
        01 02 03
        """)

    @Test func buildsOneByteExtensionsByteExact() throws {
        var w = RTPPacketWriter()
        try w.begin(marker: true, payloadType: 96, sequenceNumber: 0x1234, timestamp: 0xDEAD_BEEF,
                    ssrc: 0x1122_3344, extensionForm: .oneByte)
        try w.appendExtension(id: 1, "a".utf8)
        try w.appendExtension(id: 3, uint24: 0x123456)
        try w.appendExtension(id: 5, uint16: 0xABCD)
        w.appendPayload([1, 2, 3] as [UInt8])
        try w.finish()
        #expect(w.bytes == Self.withExtensions)
    }

    @Test func parsesOneByteExtensions() throws {
        let bytes = Self.withExtensions
        let h = try RTPHeader.parse(bytes)
        #expect(h.marker && h.payloadType == 96 && h.sequenceNumber == 0x1234)
        #expect(h.timestamp == 0xDEAD_BEEF && h.ssrc == 0x1122_3344 && h.csrcCount == 0)
        #expect(h.extensionProfile == 0xBEDE && h.extensionForm == .oneByte)
        #expect(h.extensionRange == 16..<28)
        #expect(Array(bytes[h.payloadRange]) == [1, 2, 3])
        let map = RTPHeaderExtensionMap(extmap: [
            (1, RTPHeaderExtensionURI.mid), (3, RTPHeaderExtensionURI.absSendTime),
            (5, RTPHeaderExtensionURI.transportSequenceNumber),
        ])
        let values = map.decode(bytes, header: h)
        #expect(values == RTPHeaderExtensionValues(mid: "a", absSendTime: 0x123456, transportSequenceNumber: 0xABCD))
    }

    @Test func twoByteExtensionsRoundTrip() throws {
        // Two-byte form (RFC 8285 §4.3): a zero-length element and an ID above 14.
        var w = RTPPacketWriter()
        try w.begin(marker: false, payloadType: 111, sequenceNumber: 1, timestamp: 2, ssrc: 3, extensionForm: .twoByte)
        try w.appendExtension(id: 1, [UInt8]())
        try w.appendExtension(id: 20, [0xAA, 0xBB, 0xCC] as [UInt8])
        w.appendPayload([9] as [UInt8])
        try w.finish()
        #expect(w.bytes == hex("90 6f 00 01 00 00 00 02 00 00 00 03  10 00 00 02  01 00 14 03 aa bb cc 00  09"))
        let h = try RTPHeader.parse(w.bytes)
        #expect(h.extensionForm == .twoByte)
        let elements = w.bytes.withUnsafeBytes { raw in
            var it = RTPHeaderExtensionIterator(buffer: raw, header: h)
            var out: [RTPHeaderExtensionElement] = []
            while let e = it.next() { out.append(e) }
            return out
        }
        #expect(elements == [RTPHeaderExtensionElement(id: 1, range: 18..<18), RTPHeaderExtensionElement(id: 20, range: 20..<23)])
    }

    @Test func rejectsInvalidExtensionElements() throws {
        var w = RTPPacketWriter()
        try w.begin(marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, extensionForm: .oneByte)
        #expect(throws: RTPError.invalidHeaderExtension) { try w.appendExtension(id: 15, [1] as [UInt8]) }
        #expect(throws: RTPError.invalidHeaderExtension) { try w.appendExtension(id: 1, [UInt8](repeating: 0, count: 17)) }
        #expect(throws: RTPError.invalidHeaderExtension) { try w.appendExtension(id: 0, [1] as [UInt8]) }
    }

    @Test func csrcsAndPadding() throws {
        // CC=2, P=1 with 4 padding bytes (last byte counts them, RFC 3550 §5.1).
        let bytes = hex("a2 08 00 07 00 00 00 64 ca fe ba be  00 00 00 01 00 00 00 02  55 66  00 00 00 04")
        let h = try RTPHeader.parse(bytes)
        #expect(h.csrcCount == 2 && h.padding && h.paddingLength == 4 && h.payloadType == 8)
        #expect(h.csrcOffset(1) == 16 && bytes[19] == 2)
        #expect(Array(bytes[h.payloadRange]) == [0x55, 0x66])

        var w = RTPPacketWriter()
        try w.begin(marker: false, payloadType: 8, sequenceNumber: 7, timestamp: 100, ssrc: 0xCAFE_BABE, csrcs: [1, 2] as [UInt32])
        w.appendPayload([0x55, 0x66] as [UInt8])
        try w.finish(paddingLength: 4)
        #expect(w.bytes == bytes)
    }

    @Test func rejectsMalformedHeaders() {
        #expect(throws: RTPError.truncated) { try RTPHeader.parse(hex("80 60 00 01 00 00")) }
        #expect(throws: RTPError.unsupportedVersion(1)) { try RTPHeader.parse(hex("40 60 00 01 00 00 00 00 00 00 00 00")) }
        // CC=3 but only one CSRC present.
        #expect(throws: RTPError.truncated) { try RTPHeader.parse(hex("83 60 00 01 00 00 00 00 00 00 00 00 00 00 00 01")) }
        // Extension length (0xFFFF words) runs past the packet.
        #expect(throws: RTPError.truncated) { try RTPHeader.parse(hex("90 60 00 01 00 00 00 00 00 00 00 00 be de ff ff 10 61")) }
        // One-byte element claims 16 bytes inside a one-word block.
        #expect(throws: RTPError.invalidHeaderExtension) { try RTPHeader.parse(hex("90 60 00 01 00 00 00 00 00 00 00 00 be de 00 01 1f 61 00 00")) }
        // Two-byte element length 200 inside a one-word block.
        #expect(throws: RTPError.invalidHeaderExtension) { try RTPHeader.parse(hex("90 60 00 01 00 00 00 00 00 00 00 00 10 00 00 01 01 c8 00 00")) }
        // Padding count 0, and larger than the packet.
        #expect(throws: RTPError.invalidPadding) { try RTPHeader.parse(hex("a0 60 00 01 00 00 00 00 00 00 00 00 01 00")) }
        #expect(throws: RTPError.invalidPadding) { try RTPHeader.parse(hex("a0 60 00 01 00 00 00 00 00 00 00 00 01 09")) }
        // Padding bit with no byte after the header.
        #expect(throws: RTPError.invalidPadding) { try RTPHeader.parse(hex("a0 60 00 01 00 00 00 00 00 00 00 00")) }
    }

    /// RFC 3711 §3.1: an SRTP packet's padding is encrypted and the tag follows it, so the
    /// protected header is read without the padding; the header itself is still checked.
    @Test func parsesTheHeaderOfAProtectedPacket() throws {
        let protected = hex("a0 60 00 01 00 00 00 00 11 22 33 44 01 09")
        #expect(throws: RTPError.invalidPadding) { try RTPHeader.parse(protected) }
        let h = try RTPHeader.parse(protected: protected)
        #expect(h.ssrc == 0x1122_3344 && h.padding && h.paddingLength == 0 && h.payloadRange == 12..<14)
        #expect(try RTPHeader.parse(protected: Self.withExtensions) == RTPHeader.parse(Self.withExtensions))
        #expect(throws: RTPError.truncated) { try RTPHeader.parse(protected: hex("80 60 00 01 00 00 00 00 11 22 33")) }
        #expect(throws: RTPError.truncated) { try RTPHeader.parse(protected: hex("83 60 00 01 00 00 00 00 00 00 00 00 00 00 00 01")) }
    }

    @Test func everyTruncationOfAValidPacketIsHandled() throws {
        let full = Self.withExtensions
        for n in 0..<full.count {
            let prefix = Array(full[0..<n])
            // Must throw or yield a consistent view; never trap.
            if let h = try? RTPHeader.parse(prefix) {
                #expect(h.payloadRange.upperBound <= n)
            }
        }
    }

    @Test func garbageNeverTraps() {
        var random = TestRandom(state: 7)
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes = random.bytes(random.below(64))
            if !bytes.isEmpty { bytes[0] = (bytes[0] & 0x3F) | 0x80 }  // mostly version 2
            if let h = try? RTPHeader.parse(bytes) {
                accepted += 1
                #expect(h.payloadRange.upperBound <= bytes.count && h.extensionRange.upperBound <= bytes.count)
                _ = RTPHeaderExtensionMap(mid: 1, absSendTime: 2, transportSequenceNumber: 3).decode(bytes, header: h)
            }
        }
        #expect(accepted > 0)
    }

    @Test func rtcpMuxDemultiplexing() {
        // RFC 5761 §4: second byte 192-223 is RTCP.
        #expect(isRTCPPacket(hex("80 c8 00 06")))
        #expect(isRTCPPacket(hex("81 cd 00 03")))
        #expect(!isRTCPPacket(hex("80 60 00 01")))
        #expect(!isRTCPPacket(hex("80 e0 00 01")))  // PT 96 with marker
        #expect(!isRTCPPacket(hex("80")))
    }

    @Test func absSendTimeFixedPoint() {
        // 6.18 fixed point: 1.5 s = 1 << 18 | 1 << 17.
        #expect(AbsSendTime.from(.milliseconds(1500)) == 0x060000)
        #expect(AbsSendTime.from(.seconds(65)) == 0x040000)  // wraps at 64 s
        #expect(AbsSendTime.from(ntp: 0x0000_0001_8000_0000) == 0x060000)
        #expect(AbsSendTime.seconds(0x060000) == 1.5)
    }

    @Test func sequenceNumberUnwrapping() {
        var u = SequenceNumberUnwrapper()
        #expect(u.unwrap(65534) == 65534)
        #expect(u.unwrap(65535) == 65535)
        #expect(u.unwrap(2) == 65538)
        #expect(u.unwrap(65533) == 65533)  // late, before the wrap
        #expect(u.unwrap(3) == 65539)
        #expect(SequenceNumber.isNewer(1, than: 65535))
        #expect(!SequenceNumber.isNewer(65535, than: 1))
    }
}
