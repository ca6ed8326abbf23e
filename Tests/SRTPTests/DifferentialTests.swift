import Testing
@testable import SRTP

/// A small seeded generator, so that a failure can be replayed from the seed it prints.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The OpenSSL-based `SRTPSession` against libsrtp2 (the reference implementation), with
/// random keys and payloads: the same input gives byte-identical protected packets, and
/// each side opens what the other protects.
@Suite struct DifferentialTests {
    /// Both implementations of both directions, on one random master key and salt.
    struct Endpoints {
        let ours: (out: SRTPSession, in: SRTPSession)
        let libsrtp: (out: LibsrtpSession, in: LibsrtpSession)

        init(_ profile: SRTPProtectionProfile, _ rng: inout SplitMix64) throws {
            let key = (0..<profile.masterKeyLength).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let salt = (0..<profile.masterSaltLength).map { _ in UInt8.random(in: 0...255, using: &rng) }
            ours = (try SRTPSession(profile: profile, masterKey: key, masterSalt: salt, direction: .outbound),
                    try SRTPSession(profile: profile, masterKey: key, masterSalt: salt, direction: .inbound))
            libsrtp = (try LibsrtpSession(profile: profile, masterKey: key, masterSalt: salt, direction: .outbound),
                       try LibsrtpSession(profile: profile, masterKey: key, masterSalt: salt, direction: .inbound))
        }
    }

    /// An RTP packet with `csrcs` CSRCs, an optional header extension of `extensionWords`
    /// words, and a random payload.
    static func rtp(seq: UInt16, ssrc: UInt32, csrcs: Int = 0, extensionWords: Int? = nil,
                    payload: Int, _ rng: inout SplitMix64) -> [UInt8] {
        var p: [UInt8] = [0x80 | UInt8(csrcs) | (extensionWords == nil ? 0 : 0x10), 96,
                          UInt8(seq >> 8), UInt8(seq & 0xff), 0x12, 0x34, 0x56, 0x78]
        p += be32(ssrc)
        for _ in 0..<csrcs { p += be32(UInt32.random(in: 0...UInt32.max, using: &rng)) }
        if let words = extensionWords {
            p += [0xBE, 0xDE, UInt8(words >> 8), UInt8(words & 0xff)]
            p += (0..<(4 * words)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
        return p + (0..<payload).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// An RTCP receiver report from `ssrc` with a random report block, plus random bytes
    /// (an APP-like tail: the transforms do not parse RTCP beyond the first 8 octets).
    static func rtcp(ssrc: UInt32, _ rng: inout SplitMix64) -> [UInt8] {
        let extra = 4 * Int.random(in: 0...20, using: &rng)
        let words = 1 + 6 + extra / 4
        return [0x81, 201, UInt8(words >> 8), UInt8(words & 0xff)] + be32(ssrc)
            + (0..<(24 + extra)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }

    /// Swaps some neighbours: a little reordering, as a network does.
    static func jitter<T>(_ items: [T], _ rng: inout SplitMix64) -> [T] {
        var items = items
        var i = 0
        while i + 1 < items.count {
            if Int.random(in: 0..<4, using: &rng) == 0 { items.swapAt(i, i + 1 + Int.random(in: 0...min(3, items.count - i - 2), using: &rng)) }
            i += 1
        }
        return items
    }

    static func seed() -> UInt64 { UInt64.random(in: 0...UInt64.max) }

    /// Two SSRCs (one with CSRCs and a header extension), sequence numbers crossing 65535 -> 0
    /// (ROC 1) protected and delivered slightly out of order; then SRTCP for both SSRCs.
    @Test(arguments: SRTPProtectionProfile.allCases)
    func sameBytesAndCrossOpening(_ profile: SRTPProtectionProfile) throws {
        let seed = Self.seed()
        var rng = SplitMix64(state: seed)
        let e = try Endpoints(profile, &rng)
        let ssrcs: [UInt32] = [UInt32.random(in: 1...UInt32.max, using: &rng), UInt32.random(in: 1...UInt32.max, using: &rng)]
        var plain: [[UInt8]] = []
        for (n, ssrc) in ssrcs.enumerated() {
            let start = UInt16(65535 - 40 - 7 * n)
            for i in 0..<100 {
                let seq = start &+ UInt16(i)
                plain.append(n == 0
                    ? Self.rtp(seq: seq, ssrc: ssrc, payload: Int.random(in: 0...300, using: &rng), &rng)
                    : Self.rtp(seq: seq, ssrc: ssrc, csrcs: Int.random(in: 0...15, using: &rng),
                               extensionWords: Int.random(in: 0...3, using: &rng), payload: Int.random(in: 0...300, using: &rng), &rng))
            }
        }
        // Protection order: the two SSRCs interleaved, each slightly reordered.
        let order = Self.jitter(Array(plain.indices).sorted { ($0 % 100, $0) < ($1 % 100, $1) }, &rng)
        var sealed = [[UInt8]](repeating: [], count: plain.count)
        for i in order {
            let ours = try e.ours.out.protectRTP(plain[i])
            let theirs = try e.libsrtp.out.protectRTP(plain[i])
            #expect(ours == theirs, "seed \(seed), packet \(i)")
            sealed[i] = ours
        }
        for i in Self.jitter(Array(plain.indices), &rng) {
            #expect(try e.libsrtp.in.unprotectRTP(sealed[i]) == plain[i], "seed \(seed), packet \(i)")
            #expect(try e.ours.in.unprotectRTP(sealed[i]) == plain[i], "seed \(seed), packet \(i)")
        }
        // Replays: both refuse, ours with .replay.
        for i in [0, 41, 42, 150, 199] {
            #expect(throws: LibsrtpSession.Failure.replayFail) { try e.libsrtp.in.unprotectRTP(sealed[i]) }
            #expect(throws: SRTPError.replay) { try e.ours.in.unprotectRTP(sealed[i]) }
        }
        // SRTCP: both SSRCs, a few each, delivered with a swap.
        var rtcpPlain: [[UInt8]] = [], rtcpSealed: [[UInt8]] = []
        for k in 0..<12 {
            let p = Self.rtcp(ssrc: ssrcs[k % 2], &rng)
            let ours = try e.ours.out.protectRTCP(p)
            #expect(ours == (try e.libsrtp.out.protectRTCP(p)), "seed \(seed), rtcp \(k)")
            #expect(ours.count == p.count + profile.rtcpOverhead)
            rtcpPlain.append(p)
            rtcpSealed.append(ours)
        }
        for k in Self.jitter(Array(rtcpPlain.indices), &rng) {
            #expect(try e.libsrtp.in.unprotectRTCP(rtcpSealed[k]) == rtcpPlain[k], "seed \(seed), rtcp \(k)")
            #expect(try e.ours.in.unprotectRTCP(rtcpSealed[k]) == rtcpPlain[k], "seed \(seed), rtcp \(k)")
        }
        for k in [0, 5, 11] {
            #expect(throws: LibsrtpSession.Failure.replayFail) { try e.libsrtp.in.unprotectRTCP(rtcpSealed[k]) }
            #expect(throws: SRTPError.replay) { try e.ours.in.unprotectRTCP(rtcpSealed[k]) }
        }
    }

    /// What libsrtp protects, ours opens (and the reverse is above): a sequence across the
    /// wrap with reordering at the sender, through a fresh pair of sessions.
    @Test(arguments: SRTPProtectionProfile.allCases)
    func libsrtpProtectsOursOpens(_ profile: SRTPProtectionProfile) throws {
        let seed = Self.seed()
        var rng = SplitMix64(state: seed)
        let e = try Endpoints(profile, &rng)
        let ssrc = UInt32.random(in: 0...UInt32.max, using: &rng)
        let plain = (0..<80).map { i in
            Self.rtp(seq: 65500 &+ UInt16(i), ssrc: ssrc, csrcs: i % 3, extensionWords: i % 2 == 0 ? nil : 1,
                     payload: Int.random(in: 1...200, using: &rng), &rng)
        }
        for i in Self.jitter(Array(plain.indices), &rng) {
            let theirs = try e.libsrtp.out.protectRTP(plain[i])
            #expect(theirs == (try e.ours.out.protectRTP(plain[i])), "seed \(seed), packet \(i)")
            #expect(try e.ours.in.unprotectRTP(theirs) == plain[i], "seed \(seed), packet \(i)")
        }
        let report = Self.rtcp(ssrc: ssrc, &rng)
        let srtcp = try e.libsrtp.out.protectRTCP(report)
        #expect(try e.ours.in.unprotectRTCP(srtcp) == report)
    }

    /// Around the wrap, in a fixed order: ROC 0 packets arriving after ROC 1 ones (and the
    /// sender protecting them out of order too) open in both, with the same bytes.
    @Test(arguments: SRTPProtectionProfile.allCases)
    func wrapWithReorderingAroundZero(_ profile: SRTPProtectionProfile) throws {
        var rng = SplitMix64(state: Self.seed())
        let e = try Endpoints(profile, &rng)
        let ssrc: UInt32 = 0x0102_0304
        let warmUp: [UInt16] = Array(65000...65530)
        let sendOrder: [UInt16] = warmUp + [65533, 0, 65534, 2, 65535, 1, 3, 65532, 4, 5]
        var sealed: [UInt16: [UInt8]] = [:], plain: [UInt16: [UInt8]] = [:]
        for seq in sendOrder {
            let p = Self.rtp(seq: seq, ssrc: ssrc, payload: 30, &rng)
            let ours = try e.ours.out.protectRTP(p)
            #expect(ours == (try e.libsrtp.out.protectRTP(p)), "seq \(seq)")
            sealed[seq] = ours
            plain[seq] = p
        }
        let deliveryOrder: [UInt16] = warmUp + [0, 65533, 2, 65535, 1, 65534, 5, 65532, 3, 4]
        for seq in deliveryOrder {
            #expect(try e.ours.in.unprotectRTP(sealed[seq]!) == plain[seq]!, "seq \(seq)")
            #expect(try e.libsrtp.in.unprotectRTP(sealed[seq]!) == plain[seq]!, "seq \(seq)")
        }
        // Replays on either side of the wrap.
        for seq: UInt16 in [65534, 1] {
            #expect(throws: SRTPError.replay) { try e.ours.in.unprotectRTP(sealed[seq]!) }
        }
        // ROC 1 carried on: the next packets are protected alike and open.
        for seq: UInt16 in 6..<40 {
            let p = Self.rtp(seq: seq, ssrc: ssrc, payload: 30, &rng)
            let ours = try e.ours.out.protectRTP(p)
            #expect(ours == (try e.libsrtp.out.protectRTP(p)))
            #expect(try e.libsrtp.in.unprotectRTP(ours) == p)
            #expect(try e.ours.in.unprotectRTP(ours) == p)
        }
    }

    /// A retransmission (the same sequence number protected again) gives the same bytes in
    /// both, and is refused by both receivers after the first.
    @Test(arguments: SRTPProtectionProfile.allCases)
    func retransmissionIsProtectedAgain(_ profile: SRTPProtectionProfile) throws {
        var rng = SplitMix64(state: Self.seed())
        let e = try Endpoints(profile, &rng)
        let packets = (0..<5).map { Self.rtp(seq: UInt16(1000 + $0), ssrc: 7, payload: 50, &rng) }
        for p in packets { _ = try e.ours.out.protectRTP(p); _ = try e.libsrtp.out.protectRTP(p) }
        let again = try e.ours.out.protectRTP(packets[1])
        #expect(again == (try e.libsrtp.out.protectRTP(packets[1])))
        #expect(try e.ours.in.unprotectRTP(again) == packets[1])
        #expect(throws: SRTPError.replay) { try e.ours.in.unprotectRTP(again) }
    }

    /// A flipped bit anywhere after the RTP header (payload or tag), or after the first 8
    /// octets of SRTCP, fails authentication in both.
    @Test(arguments: SRTPProtectionProfile.allCases)
    func flippedBitIsRefused(_ profile: SRTPProtectionProfile) throws {
        let seed = Self.seed()
        var rng = SplitMix64(state: seed)
        let e = try Endpoints(profile, &rng)
        for seq in UInt16(0)..<40 {
            let p = Self.rtp(seq: seq, ssrc: 99, csrcs: 1, extensionWords: 1, payload: Int.random(in: 0...100, using: &rng), &rng)
            var sealed = try e.ours.out.protectRTP(p)
            let bit = Int.random(in: (20 * 8)..<(sealed.count * 8), using: &rng)
            sealed[bit / 8] ^= 1 << (bit % 8)
            #expect(throws: LibsrtpSession.Failure.authFail, "seed \(seed)") { try e.libsrtp.in.unprotectRTP(sealed) }
            #expect(throws: SRTPError.authenticationFailed, "seed \(seed)") { try e.ours.in.unprotectRTP(sealed) }
        }
        for _ in 0..<20 {
            var sealed = try e.ours.out.protectRTCP(Self.rtcp(ssrc: 99, &rng))
            // Not the index bits (a lower index may be a replay, checked first): the body and tag.
            let trailerAt = profile.isAEAD ? sealed.count - 4 : sealed.count - 14
            var bit = Int.random(in: 64..<(sealed.count * 8 - 31), using: &rng)
            if bit / 8 >= trailerAt && bit / 8 < trailerAt + 4 { bit = 64 }
            sealed[bit / 8] ^= 1 << (bit % 8)
            #expect(throws: LibsrtpSession.Failure.authFail, "seed \(seed)") { try e.libsrtp.in.unprotectRTCP(sealed) }
            #expect(throws: SRTPError.authenticationFailed, "seed \(seed)") { try e.ours.in.unprotectRTCP(sealed) }
        }
    }

    /// A forged packet of an unknown SSRC creates no stream: a later genuine packet of that
    /// SSRC whose index is far below the forged one (a window and more) still opens. A forged
    /// packet on a known SSRC does not move its index either.
    @Test(arguments: SRTPProtectionProfile.allCases)
    func forgedPacketLeavesNoState(_ profile: SRTPProtectionProfile) throws {
        var rng = SplitMix64(state: Self.seed())
        let e = try Endpoints(profile, &rng)
        // Protected in this order (a sender refuses an index a window behind its highest).
        let genuine = Self.rtp(seq: 10, ssrc: 0xABCD, payload: 40, &rng)
        let next = Self.rtp(seq: 11, ssrc: 0xABCD, payload: 40, &rng)
        let sealedGenuine = try e.ours.out.protectRTP(genuine), sealedNext = try e.ours.out.protectRTP(next)
        var forged = try e.ours.out.protectRTP(Self.rtp(seq: 5000, ssrc: 0xABCD, payload: 40, &rng))
        forged[forged.count - 1] ^= 0x01
        var forgedLater = try e.ours.out.protectRTP(Self.rtp(seq: 40000, ssrc: 0xABCD, payload: 40, &rng))
        forgedLater[20] ^= 0x01
        #expect(throws: SRTPError.authenticationFailed) { try e.ours.in.unprotectRTP(forged) }
        #expect(try e.ours.in.unprotectRTP(sealedGenuine) == genuine)
        #expect(throws: SRTPError.authenticationFailed) { try e.ours.in.unprotectRTP(forgedLater) }
        #expect(try e.ours.in.unprotectRTP(sealedNext) == next)
        // The same for SRTCP: a forged index 3000 of a new SSRC, then the genuine index 1.
        let outbound2 = e.ours.out
        var forgedRTCP = try (0..<3000).reduce([UInt8]()) { _, _ in try outbound2.protectRTCP(Self.rtcp(ssrc: 0xEEEE, &rng)) }
        forgedRTCP[9] ^= 0x01
        #expect(throws: SRTPError.authenticationFailed) { try e.ours.in.unprotectRTCP(forgedRTCP) }
        let report = Self.rtcp(ssrc: 0xEEEE, &rng)
        let firstRTCP = try e.libsrtp.out.protectRTCP(report)  // index 1 from a sender of its own
        #expect(try e.ours.in.unprotectRTCP(firstRTCP) == report)
    }

    /// Indices past the window are refused as too old, in both.
    @Test(arguments: SRTPProtectionProfile.allCases)
    func olderThanTheWindowIsRefused(_ profile: SRTPProtectionProfile) throws {
        var rng = SplitMix64(state: Self.seed())
        let e = try Endpoints(profile, &rng)
        let old = try e.ours.out.protectRTP(Self.rtp(seq: 1, ssrc: 5, payload: 10, &rng))
        let recent = try e.ours.out.protectRTP(Self.rtp(seq: 1 + 1024, ssrc: 5, payload: 10, &rng))
        let edge = try e.ours.out.protectRTP(Self.rtp(seq: 2, ssrc: 5, payload: 10, &rng))
        _ = try e.ours.in.unprotectRTP(recent)
        _ = try e.libsrtp.in.unprotectRTP(recent)
        #expect(throws: SRTPError.replayTooOld) { try e.ours.in.unprotectRTP(old) }
        #expect(throws: LibsrtpSession.Failure.replayOld) { try e.libsrtp.in.unprotectRTP(old) }
        _ = try e.ours.in.unprotectRTP(edge)  // 1023 behind: still in the window
        _ = try e.libsrtp.in.unprotectRTP(edge)
    }
}

/// Outside input that is not a packet: errors, never a trap.
@Suite struct MalformedPacketTests {
    @Test func badRTPIsRefused() throws {
        let (sender, receiver) = try SRTPSessionTests.pair(.aeadAES128GCM)
        var rtp = SRTPSessionTests.rtp(seq: 1, payload: 20)
        rtp[0] = 0x40  // version 1
        #expect(throws: SRTPError.badPacket) { try sender.protectRTP(rtp) }
        #expect(throws: SRTPError.badPacket) { try receiver.unprotectRTP(rtp + [UInt8](repeating: 0, count: 16)) }
        rtp[0] = 0x8f  // 15 CSRCs, 60 octets, past the end
        #expect(throws: SRTPError.badPacket) { try sender.protectRTP(rtp) }
        #expect(throws: SRTPError.badPacket) { try receiver.unprotectRTP(rtp + [UInt8](repeating: 0, count: 16)) }
        rtp[0] = 0x90; rtp[14] = 0x00; rtp[15] = 0x10  // extension of 16 words, past the end
        #expect(throws: SRTPError.badPacket) { try sender.protectRTP(rtp) }
        #expect(throws: SRTPError.badPacket) { try receiver.unprotectRTP(rtp + [UInt8](repeating: 0, count: 16)) }
        let extensionHeaderOnly: [UInt8] = [0x90, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE]
        #expect(throws: SRTPError.badPacket) { try sender.protectRTP(extensionHeaderOnly) }
        for n in 0..<(12 + 16) {
            #expect(throws: SRTPError.badPacket) { try receiver.unprotectRTP([UInt8](repeating: 0x80, count: n)) }
        }
        #expect(throws: SRTPError.badPacket) { try sender.protectRTP([0x80, 96, 0]) }
    }

    @Test(arguments: SRTPProtectionProfile.allCases)
    func shortRTCPIsRefused(_ profile: SRTPProtectionProfile) throws {
        let (sender, receiver) = try SRTPSessionTests.pair(profile)
        for n in 0..<(8 + profile.rtcpOverhead) {
            #expect(throws: SRTPError.badPacket) { try receiver.unprotectRTCP([UInt8](repeating: 0x81, count: n)) }
        }
        #expect(throws: SRTPError.badPacket) { try sender.protectRTCP([0x81, 201, 0, 1, 0, 0, 0]) }
        #expect(throws: SRTPError.badPacket) { try sender.protectRTCP([0x01, 201, 0, 1, 0, 0, 0, 1]) }
        // Random bytes of every length, RTP and RTCP: an error or (never) a packet, no trap.
        var rng = SplitMix64(state: 1)
        for n in 0..<200 {
            var junk = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if n > 0 { junk[0] = 0x80 | (junk[0] & 0x3f) }
            #expect(throws: SRTPError.self) { try receiver.unprotectRTP(junk) }
            #expect(throws: SRTPError.self) { try receiver.unprotectRTCP(junk) }
        }
    }
}

/// The bound on per-SSRC state.
@Suite struct StreamLimitTests {
    @Test func moreThanMaxStreamsThrows() throws {
        let (sender, receiver) = try SRTPSessionTests.pair(.aeadAES128GCM)
        for ssrc in 0..<UInt32(SRTPSession.maxStreams) {
            _ = try receiver.unprotectRTP(sender.protectRTP(SRTPSessionTests.rtp(seq: 1, ssrc: ssrc, payload: 4)))
        }
        #expect(throws: SRTPError.tooManyStreams(limit: SRTPSession.maxStreams)) {
            try sender.protectRTP(SRTPSessionTests.rtp(seq: 1, ssrc: 1000, payload: 4))
        }
        // Known SSRCs still work on both sides.
        _ = try receiver.unprotectRTP(sender.protectRTP(SRTPSessionTests.rtp(seq: 2, ssrc: 3, payload: 4)))
        // The receiver refuses a genuine packet of one SSRC too many.
        let other = try SRTPSession(profile: .aeadAES128GCM, masterKey: SRTPSessionTests.keys(.aeadAES128GCM).0,
                                    masterSalt: SRTPSessionTests.keys(.aeadAES128GCM).1, direction: .outbound)
        #expect(throws: SRTPError.tooManyStreams(limit: SRTPSession.maxStreams)) {
            try receiver.unprotectRTP(other.protectRTP(SRTPSessionTests.rtp(seq: 1, ssrc: 1000, payload: 4)))
        }
    }
}
