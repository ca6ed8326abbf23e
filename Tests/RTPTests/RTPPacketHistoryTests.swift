import Testing
@testable import RTP

/// The NACK history: what it can resend, for how long, and the buffers it keeps for it.
@Suite struct RTPPacketHistoryTests {
    static func packet(_ seq: UInt16, size: Int = 1200) -> [UInt8] {
        [0x80, 96, UInt8(seq >> 8), UInt8(seq & 0xFF)] + [UInt8](repeating: UInt8(truncatingIfNeeded: seq), count: size - 4)
    }

    static func store(_ h: inout RTPPacketHistory, _ seq: UInt16, at now: Duration) {
        packet(seq).withUnsafeBytes { h.store($0, sequenceNumber: seq, at: now) }
    }

    /// A packet is resent as it was stored, until it is older than `maxAge`; then it is gone.
    @Test func keepsPacketsForMaxAge() throws {
        var h = RTPPacketHistory(capacity: 512, maxAge: .seconds(1))
        Self.store(&h, 100, at: .zero)
        Self.store(&h, 101, at: .milliseconds(500))
        #expect(h.withPacket(100, at: .seconds(1)) { Array($0) } == Self.packet(100))
        #expect(h.size(of: 101, at: .seconds(1)) == 1200)
        #expect(!h.contains(100, at: .milliseconds(1001)) && h.contains(101, at: .milliseconds(1001)))
        #expect(!h.contains(102, at: .zero), "never stored")
        // Its send time is still known (for the NACK's age check), its bytes are not.
        Self.store(&h, 102, at: .milliseconds(1600))
        #expect(h.sendTime(of: 100) == .zero && h.withPacket(100, at: .milliseconds(1600)) { _ in true } == nil)
        #expect(h.contains(102, at: .milliseconds(1600)))
    }

    /// 52 packets a second (480p at 1 Mbit/s) for 20 s: the buffers held are a second's worth
    /// and a few spare, not one per slot; once made, storing reuses them.
    @Test func holdsTheBuffersOfMaxAgeNotOfItsCapacity() {
        var h = RTPPacketHistory(capacity: 512, maxAge: .seconds(1))
        var seq: UInt16 = 65_000  // through the 16-bit wrap
        var most = 0
        for n in 0..<(52 * 20) {
            Self.store(&h, seq, at: .microseconds(Int64(n) * 1_000_000 / 52))
            seq &+= 1
            most = max(most, h.buffers)
        }
        #expect(most <= 56, "\(most) buffers held")
        #expect(h.buffers >= 52)
        // The last second's packets are all there, each as stored.
        let now = Duration.microseconds(Int64(52 * 20 - 1) * 1_000_000 / 52)
        for back in 1...52 {
            let s = seq &- UInt16(back)
            #expect(h.withPacket(s, at: now) { Array($0) } == Self.packet(s), "packet \(s)")
        }
    }

    /// Faster than the ring turns within `maxAge`: a slot stored again drops the older packet
    /// (the capacity bounds the history), and the slot's buffer is reused.
    @Test func aSlotStoredAgainWithinMaxAgeReplacesThePacket() {
        var h = RTPPacketHistory(capacity: 16, maxAge: .seconds(1))
        for seq in 0..<40 as Range<UInt16> { Self.store(&h, seq, at: .milliseconds(Int64(seq))) }
        #expect(!h.contains(23, at: .milliseconds(40)) && h.contains(24, at: .milliseconds(40)))
        #expect(h.withPacket(39, at: .milliseconds(40)) { Array($0) } == Self.packet(39))
        #expect(h.buffers == 16)
    }
}
