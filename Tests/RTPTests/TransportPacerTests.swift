import Testing
@testable import RTP

/// The pacer alone, in simulated time: packets are byte strings whose first byte names the
/// class and the next two a per-class counter; `send` records what left and when.
@Suite struct TransportPacerTests {
    struct Sent {
        var kind: PacedPacketKind
        var tag: Int
        var size: Int
        var at: Duration
        var probeClusterID: Int?
    }

    static func packet(_ kind: PacedPacketKind, tag: Int, size: Int) -> [UInt8] {
        var p = [UInt8](repeating: 0, count: size)
        p[0] = UInt8(kind.rawValue)
        p[1] = UInt8(tag >> 8 & 0xFF)
        p[2] = UInt8(tag & 0xFF)
        return p
    }

    static func enqueue(_ pacer: inout RTPPacer, _ kind: PacedPacketKind, tag: Int, size: Int, at now: Duration,
                        expiresAt: Duration? = nil) {
        let p = packet(kind, tag: tag, size: size)
        p.withUnsafeBytes { _ = pacer.enqueue($0, kind: kind, ssrc: 1, at: now, expiresAt: expiresAt) }
    }

    /// Polls the pacer at every `nextSendTime` (and at `inputs` times, running `input`) until `end`.
    static func run(
        _ pacer: inout RTPPacer, from start: Duration = .zero, until end: Duration, inputEvery tick: Duration? = nil,
        input: (inout RTPPacer, Duration) -> Void = { _, _ in }, padding: Bool = true
    ) -> [Sent] {
        var sent: [Sent] = []
        var now = start
        var nextInput = tick.map { _ in start }
        while now <= end {
            if let t = nextInput, now >= t, let tick {
                input(&pacer, now)
                nextInput = t + tick
            }
            pacer.poll(at: now) { output in
                switch output {
                case .packet(let bytes, let kind, _, _, let cluster):
                    sent.append(Sent(kind: kind, tag: Int(bytes[1]) << 8 | Int(bytes[2]), size: bytes.count, at: now,
                                     probeClusterID: cluster))
                    return bytes.count
                case .padding(let size, let cluster):
                    guard padding else { return 0 }
                    sent.append(Sent(kind: .padding, tag: 0, size: size, at: now, probeClusterID: cluster))
                    return size
                }
            }
            let candidates = [pacer.nextSendTime, nextInput].compactMap { $0 }
            guard let next = candidates.min() else { break }
            now = next > now ? next : now + .microseconds(100)
        }
        return sent
    }

    static func rate(_ sent: [Sent], from: Duration, to: Duration) -> Double {
        let bytes = sent.filter { $0.at >= from && $0.at < to }.reduce(0) { $0 + $1.size }
        return Double(bytes) * 8 / (to - from).seconds
    }

    @Test func priorityAudioThenVideoThenRetransmissionsFIFOWithinEach() {
        // 200 kbit/s: 25 kB/s, so the 20 kB of video below take most of a second.
        var pacer = RTPPacer(pacingRate: 200_000, at: .zero)
        for i in 0..<20 { Self.enqueue(&pacer, .video, tag: i, size: 1000, at: .zero) }
        for i in 0..<3 { Self.enqueue(&pacer, .retransmission, tag: i, size: 500, at: .zero) }
        for i in 0..<3 { Self.enqueue(&pacer, .audio, tag: i, size: 100, at: .zero) }
        let sent = Self.run(&pacer, until: .seconds(2))
        #expect(sent.count == 26)
        #expect(sent.prefix(3).map(\.kind) == [.audio, .audio, .audio])
        #expect(sent.prefix(3).allSatisfy { $0.at == .zero })
        #expect(sent[3..<23].map(\.kind) == Array(repeating: .video, count: 20))
        #expect(sent[3..<23].map(\.tag) == Array(0..<20))
        #expect(sent[23...].map(\.kind) == [.retransmission, .retransmission, .retransmission])
        #expect(sent[23...].map(\.tag) == [0, 1, 2])
    }

    @Test func audioNeverWaitsBehindVideo() {
        // A video backlog at 500 kbit/s while Opus packets arrive every 20 ms.
        var pacer = RTPPacer(pacingRate: 500_000, at: .zero)
        var audioTag = 0
        var enqueuedAt: [Int: Duration] = [:]
        for i in 0..<80 { Self.enqueue(&pacer, .video, tag: i, size: 1200, at: .zero) }
        let sent = Self.run(&pacer, until: .seconds(3), inputEvery: .milliseconds(20)) { pacer, now in
            Self.enqueue(&pacer, .audio, tag: audioTag, size: 120, at: now)
            enqueuedAt[audioTag] = now
            audioTag += 1
        }
        let audio = sent.filter { $0.kind == .audio }
        let video = sent.filter { $0.kind == .video }
        #expect(audio.count == audioTag)
        let worstAudioDelay = audio.map { $0.at - enqueuedAt[$0.tag]! }.max()!
        #expect(worstAudioDelay == .zero)
        // Meanwhile video did wait: the last of its 96 kB left after ~1.7 s (500 kbit/s less
        // the 48 kbit/s of audio charged to the same budget).
        #expect(video.count == 80)
        #expect(video.last!.at > .milliseconds(1600))
    }

    @Test func pacingRateHonouredOverTenSeconds() {
        // 1 Mbit/s pacing, media offered at 1.1 Mbit/s in 1200-byte packets (frames every 33 ms).
        var pacer = RTPPacer(pacingRate: 1_000_000, at: .zero)
        var tag = 0
        var carry = 0.0
        let sent = Self.run(&pacer, until: .seconds(10), inputEvery: .milliseconds(33)) { pacer, now in
            carry += 1_100_000 / 8 * 0.033 / 1200
            while carry >= 1 {
                Self.enqueue(&pacer, .video, tag: tag & 0xFFFF, size: 1200, at: now)
                tag += 1
                carry -= 1
            }
        }
        let measured = Self.rate(sent, from: .seconds(1), to: .seconds(10))
        print("pacer: \(Int(measured)) bit/s measured over 1-10 s at a 1000000 bit/s pacing rate")
        #expect(abs(measured - 1_000_000) / 1_000_000 < 0.02)
        #expect(pacer.queuedPackets > 0)  // the offered 1.1 Mbit/s really exceeded the rate
    }

    @Test func queueTimeLimitDrainsALargeQueueInTime() {
        // 250 kB at 300 kbit/s would take 6.7 s; the 2 s limit raises the rate to drain it.
        func drainTime(limit: Duration?) -> (Duration, RTPPacerStatistics) {
            var config = RTPPacerConfiguration()
            config.queueTimeLimit = limit
            var pacer = RTPPacer(configuration: config, pacingRate: 300_000, at: .zero)
            for i in 0..<250 { Self.enqueue(&pacer, .video, tag: i, size: 1000, at: .zero) }
            let sent = Self.run(&pacer, until: .seconds(10))
            return (sent.last!.at, pacer.statistics)
        }
        let (limited, stats) = drainTime(limit: .seconds(2))
        let (unlimited, _) = drainTime(limit: nil)
        print("pacer: 250 kB at 300 kbit/s drained in \(limited) with the 2 s queue-time limit, \(unlimited) without")
        #expect(limited <= .milliseconds(2050))
        #expect(limited >= .milliseconds(1500))  // still paced, not a burst
        #expect(stats.queueTimeLimitRefills > 0)
        #expect(unlimited >= .milliseconds(6500))
    }

    @Test func probeClusterSentAtItsBitrateWithPadding() {
        // 300 kbit/s pacing, nothing queued: a 2 Mbit/s cluster of at least 5 probes and 3750
        // bytes (15 ms at 2 Mbit/s) is made of padding at 2 Mbit/s.
        var pacer = RTPPacer(pacingRate: 300_000, at: .zero)
        pacer.addProbeCluster(ProbeCluster(id: 7, bitrate: 2_000_000, minimumProbes: 5, minimumBytes: 3750, createdAt: .zero),
                              at: .zero)
        let sent = Self.run(&pacer, until: .seconds(1))
        let probes = sent.filter { $0.probeClusterID == 7 }
        #expect(probes.count == sent.count && probes.allSatisfy { $0.kind == .padding })
        let bytes = probes.reduce(0) { $0 + $1.size }
        #expect(bytes >= 3750)
        // The receiver's estimate: bytes but the last probe's over first-to-last time.
        let times = Array(Set(probes.map(\.at))).sorted()
        let lastBurst = probes.filter { $0.at == times.last! }.reduce(0) { $0 + $1.size }
        let rate = Double(bytes - lastBurst) * 8 / (times.last! - times.first!).seconds
        print("pacer: probe cluster at 2000000 bit/s sent at \(Int(rate)) bit/s in \(times.count) probes, \(bytes) bytes")
        #expect(times.count >= 5)
        #expect(abs(rate - 2_000_000) / 2_000_000 < 0.05)
        #expect(pacer.statistics.probeClustersCompleted == 1 && !pacer.isProbing)
    }

    @Test func probeUsesQueuedMediaFirst() {
        // Video queued behind an exhausted budget goes out as the probe, above the pacing rate.
        var pacer = RTPPacer(pacingRate: 100_000, at: .zero)
        for i in 0..<40 { Self.enqueue(&pacer, .video, tag: i, size: 500, at: .zero) }
        pacer.addProbeCluster(ProbeCluster(id: 1, bitrate: 1_000_000, minimumProbes: 5, minimumBytes: 5000, createdAt: .zero),
                              at: .zero)
        let sent = Self.run(&pacer, until: .milliseconds(100))
        let probes = sent.filter { $0.probeClusterID == 1 }
        #expect(probes.allSatisfy { $0.kind == .video })
        #expect(probes.reduce(0) { $0 + $1.size } >= 5000)
        // 5 kB left within ~40 ms: 1 Mbit/s, ten times the pacing rate.
        #expect(probes.last!.at <= .milliseconds(45))
        #expect(probes.map(\.tag) == Array(0..<probes.count))  // still FIFO
    }

    @Test func paddingFillsThePaddingRateAfterMedia() {
        var pacer = RTPPacer(pacingRate: 1_000_000, paddingRate: 200_000, at: .zero)
        // No padding before any media.
        #expect(Self.run(&pacer, until: .seconds(1)).isEmpty)
        Self.enqueue(&pacer, .video, tag: 0, size: 1000, at: .seconds(1))
        let sent = Self.run(&pacer, from: .seconds(1), until: .seconds(6))
        let rate = Self.rate(sent.filter { $0.kind == .padding }, from: .seconds(1), to: .seconds(6))
        print("pacer: padding at \(Int(rate)) bit/s for a 200000 bit/s padding rate")
        #expect(abs(rate - 200_000) / 200_000 < 0.05)
    }

    @Test func staleRetransmissionsAreDroppedAndCounted() {
        var pacer = RTPPacer(pacingRate: 100_000, at: .zero)
        for i in 0..<5 { Self.enqueue(&pacer, .video, tag: i, size: 1000, at: .zero) }  // 400 ms of budget
        Self.enqueue(&pacer, .retransmission, tag: 0, size: 500, at: .zero, expiresAt: .milliseconds(100))
        Self.enqueue(&pacer, .retransmission, tag: 1, size: 500, at: .zero, expiresAt: .seconds(5))
        let sent = Self.run(&pacer, until: .seconds(2))
        #expect(sent.filter { $0.kind == .retransmission }.map(\.tag) == [1])
        #expect(pacer.statistics.staleRetransmissionsDropped == 1)
    }

    @Test func fullQueueDropsAndCounts() {
        var config = RTPPacerConfiguration()
        config.maximumQueuedPackets = 10
        var pacer = RTPPacer(configuration: config, pacingRate: 100_000, at: .zero)
        for i in 0..<12 { Self.enqueue(&pacer, .video, tag: i, size: 100, at: .zero) }
        #expect(pacer.queuedPackets == 10)
        #expect(pacer.statistics.packetsDroppedQueueFull == 2)
    }
}
