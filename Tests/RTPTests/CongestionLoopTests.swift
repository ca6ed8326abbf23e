import Testing
import VirtualNetwork
@testable import RTP

/// The send-side estimator in a closed loop through `VirtualNetwork` (see `runLoop`).
/// Figures print with `swift test --filter CongestionLoopTests`.
@Suite struct CongestionLoopTests {
    static func kbps(_ bitrate: Double) -> String { "\(Int(bitrate / 1000)) kbit/s" }
    static func ms(_ d: Duration) -> String { "\(Int(d.seconds * 1000)) ms" }

    /// One line per second: send rate, target, p95 queueing delay.
    static func timeline(_ r: CongestionLoop.Result, seconds: Int) -> String {
        (0..<seconds).map { s in
            let from = Duration.seconds(s), to = Duration.seconds(s + 1)
            return "  \(s)s: send \(kbps(r.sendRate(from: from, to: to))), target \(kbps(Double(r.target(at: to)))), "
                + "queue p95 \(ms(r.queueingPercentile(0.95, from: from, to: to)))"
                + (r.internals.last { $0.time <= to }.map { ", delay-based \(kbps(Double($0.delayBased))), acked \(kbps(Double($0.acknowledged)))" } ?? "")
        }.joined(separator: "\n")
    }

    @Test func lowCapacityWithRandomLoss() {
        // (a) 300 kbit/s, 100 ms RTT, 2 % loss, 40 s; a 32 kB (850 ms) bottleneck queue.
        let capacity = 300_000
        let r = runLoop(.init(capacity: [(.zero, capacity)], oneWayDelay: .milliseconds(50), lossRate: 0.02,
                              queueLimitBytes: 32 * 1024, duration: .seconds(40)))
        var maxRate = 0.0
        for s in 5..<40 {
            maxRate = max(maxRate, r.sendRate(from: .seconds(s), to: .seconds(s + 1)))
        }
        let p95 = r.queueingPercentile(0.95, from: .seconds(5), to: .seconds(40))
        let mean = r.sendRate(from: .seconds(5), to: .seconds(40))
        print("""
            (a) 300 kbit/s, RTT 100 ms, 2 % loss: after 5 s max 1-s send rate \(Self.kbps(maxRate)), \
            mean \(Self.kbps(mean)); drops \(r.link.randomLosses) random + \(r.link.tailDrops) queue of \
            \(r.link.datagramsSent) = \(Int(r.dropFraction * 1000) / 10) %; queueing p95 \(Self.ms(p95))
            \(Self.timeline(r, seconds: 40))
            """)
        #expect(maxRate <= Double(capacity))
        #expect(r.dropFraction <= 0.05)
        #expect(p95 <= .milliseconds(150))
        // Under the capacity, but not starved.
        #expect(mean >= 0.6 * Double(capacity))
    }

    @Test func capacityStepDownAndUp() {
        // (b) 2 Mbit/s, 300 kbit/s from 15 s, 2 Mbit/s again from 35 s; 50 ms RTT.
        let high = 2_000_000, low = 300_000
        let r = runLoop(.init(capacity: [(.zero, high), (.seconds(15), low), (.seconds(35), high)],
                              oneWayDelay: .milliseconds(25), duration: .seconds(50)))
        let earlier = r.sendRate(from: .seconds(10), to: .seconds(15))
        // Under the new capacity: every later 1 s window (sliding by 100 ms) until the step up.
        var underAfter: Duration?
        var t = Duration.seconds(15)
        while t + .seconds(1) <= .seconds(35) {
            if r.sendRate(from: t, to: t + .seconds(1)) > Double(low) { underAfter = nil }
            else if underAfter == nil { underAfter = t - .seconds(15) }
            t += .milliseconds(100)
        }
        // Queueing under 100 ms for every packet sent from then until the step up.
        let lastSlow = r.queueing.last { $0.time >= .seconds(15) && $0.time < .seconds(35) && $0.delay >= .milliseconds(100) }
        let queueSettled = (lastSlow?.time ?? .seconds(15)) - .seconds(15)
        // Back to 90 % of the earlier rate (1 s windows).
        var recovered: Duration?
        t = .seconds(35)
        while t < .seconds(49), recovered == nil {
            if r.sendRate(from: t, to: t + .seconds(1)) >= 0.9 * earlier { recovered = t + .seconds(1) - .seconds(35) }
            t += .milliseconds(100)
        }
        let late = r.sendRate(from: .seconds(45), to: .seconds(50))
        print("""
            (b) 2 Mbit/s → 300 kbit/s at 15 s → 2 Mbit/s at 35 s, RTT 50 ms: earlier rate \(Self.kbps(earlier)); \
            under 300 kbit/s \(underAfter.map(Self.ms) ?? "never") after the step down; queueing < 100 ms \
            \(Self.ms(queueSettled)) after it (max \(Self.ms(r.link.maxQueueingDelay))); ≥ 90 % again \
            \(recovered.map(Self.ms) ?? "never") after the step up; 45-50 s \(Self.kbps(late)); \
            drops \(r.link.tailDrops) of \(r.link.datagramsSent)
            \(Self.timeline(r, seconds: 50))
            """)
        #expect(earlier >= 1_500_000)
        #expect(underAfter.map { $0 <= .seconds(2) } ?? false)
        #expect(queueSettled <= .seconds(5))
        #expect(recovered.map { $0 <= .seconds(10) } ?? false)
        #expect(late >= 0.9 * earlier)
    }

    @Test func randomLossWithoutCapKeepsAHighEstimate() {
        // (c) 5 % random loss, no bottleneck, start at 300 kbit/s.
        let r = runLoop(.init(capacity: [(.zero, nil)], oneWayDelay: .milliseconds(25), lossRate: 0.05,
                              duration: .seconds(30)))
        let reached = r.targets.first { $0.bitrate >= 1_500_000 }?.time
        let lowest = r.targets.filter { $0.time >= (reached ?? .seconds(30)) }.map(\.bitrate).min() ?? 0
        print("""
            (c) 5 % random loss, no cap, start 300 kbit/s: ≥ 1.5 Mbit/s at \(reached.map(Self.ms) ?? "never"), \
            lowest target after that \(Self.kbps(Double(lowest))), final \(Self.kbps(Double(r.targets.last?.bitrate ?? 0))), \
            measured loss \(Int(r.controller.current.lossRate * 1000) / 10) %
            \(Self.timeline(r, seconds: 30))
            """)
        #expect(reached.map { $0 <= .seconds(10) } ?? false)
        #expect(lowest >= 1_500_000)
    }

    @Test func reorderingIsNotLoss() {
        // 30 ms of per-packet jitter (packets overtake each other), no bottleneck: reports of
        // "lost" that a later feedback corrects must not cut the rate.
        var configuration = CongestionLoop.Configuration(capacity: [(.zero, nil)], oneWayDelay: .milliseconds(40),
                                                         duration: .seconds(20))
        configuration.jitter = .milliseconds(30)
        let r = runLoop(configuration)
        let final = r.targets.last?.bitrate ?? 0
        print("30 ms jitter, no cap: final target \(Self.kbps(Double(final))), loss \(r.controller.current.lossRate)")
        #expect(final >= 3_000_000)
        #expect(r.controller.current.lossRate < 0.01)
    }
}
