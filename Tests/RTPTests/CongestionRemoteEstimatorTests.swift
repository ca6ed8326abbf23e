import NetworkPrimitives
import Testing
import VirtualNetwork
@testable import RTP

/// The receive-side estimator (REMB from abs-send-time) behind a bottleneck.
@Suite struct CongestionRemoteEstimatorTests {
    /// A sender that sends at `rate(now)` (1200-byte packets with abs-send-time) through a
    /// 300 kbit/s link; the receiver's estimator runs every 25 ms. Returns the REMBs.
    func run(duration: Duration, rate: (Duration, Int?) -> Int) -> [(time: Duration, bitrate: Int)] {
        let sender = TransportAddress("10.0.0.1:5000")!, receiver = TransportAddress("10.0.0.2:6000")!
        let net = VirtualNetwork(seed: 3)
        net.setConditions(LinkConditions(delay: .milliseconds(40), bandwidth: 300_000, queueLimitBytes: 64 * 1024),
                          from: sender.ip, to: receiver.ip)
        var estimator = RemoteBitrateEstimator()
        var rembs: [(time: Duration, bitrate: Int)] = []
        net.scheduleTimer(at: .zero, tag: 1)
        net.scheduleTimer(at: .zero, tag: 2)
        while let event = net.nextEvent(until: duration) {
            switch event {
            case .delivery(let d):
                let abs = UInt32(d.payload[0]) << 16 | UInt32(d.payload[1]) << 8 | UInt32(d.payload[2])
                estimator.onPacketReceived(absSendTime: abs, size: d.payload.count, ssrc: 0x1111, at: net.now)
            case .timer(_, _, 1, _):
                let size = 1200
                var payload = [UInt8](repeating: 0, count: size)
                let abs = AbsSendTime.from(net.now)
                payload[0] = UInt8(abs >> 16 & 0xFF)
                payload[1] = UInt8(abs >> 8 & 0xFF)
                payload[2] = UInt8(abs & 0xFF)
                net.send(payload, from: sender, to: receiver)
                let bitrate = rate(net.now, rembs.last?.bitrate)
                net.scheduleTimer(after: .nanoseconds(Int64(size * 8) * 1_000_000_000 / Int64(bitrate)), tag: 1)
            case .timer:
                if let remb = estimator.process(at: net.now) {
                    #expect(remb.ssrcs == [0x1111])
                    rembs.append((net.now, remb.bitrate))
                }
                net.scheduleTimer(after: .milliseconds(25), tag: 2)
            }
        }
        return rembs
    }

    @Test func rembFallsUnderTheBottleneck() {
        // An open loop at 500 kbit/s into 300 kbit/s: the delay grows, the REMB falls.
        let rembs = run(duration: .seconds(10)) { _, _ in 500_000 }
        let first = rembs.first
        print("REMB open loop 500 kbit/s into 300 kbit/s: first \(first.map { "\($0.bitrate / 1000) kbit/s at \($0.time)" } ?? "none"), "
              + "last \((rembs.last?.bitrate ?? 0) / 1000) kbit/s, \(rembs.count) REMBs")
        #expect(first.map { $0.time < .seconds(3) && $0.bitrate < 300_000 } ?? false)
        #expect(rembs.allSatisfy { $0.bitrate < 300_000 })
    }

    @Test func senderFollowingRembStaysUnderTheBottleneck() {
        // A closed loop: the sender sends at the last REMB (600 kbit/s before the first).
        let rembs = run(duration: .seconds(30)) { _, remb in remb ?? 600_000 }
        let late = rembs.filter { $0.time >= .seconds(10) }
        let highest = late.map(\.bitrate).max() ?? 0
        let lowest = late.map(\.bitrate).min() ?? 0
        print("REMB closed loop into 300 kbit/s: after 10 s between \(lowest / 1000) and \(highest / 1000) kbit/s, "
              + "\(late.count) REMBs in 20 s")
        #expect(!late.isEmpty && highest < 300_000)
        #expect(lowest > 150_000)
        // About once a second, more on drops.
        #expect(late.count >= 15 && late.count <= 60)
    }

    @Test func absSendTimeWrapsEvery64Seconds() {
        var estimator = RemoteBitrateEstimator()
        // 1200-byte packets every 10 ms (960 kbit/s) across the 64 s wrap, no queue.
        for i in 0..<2000 {
            let sendTime = Duration.seconds(63) + .milliseconds(10 * Int64(i))
            estimator.onPacketReceived(absSendTime: AbsSendTime.from(sendTime), size: 1200, ssrc: 1,
                                       at: sendTime + .milliseconds(30))
            _ = estimator.process(at: sendTime + .milliseconds(30))
        }
        #expect(estimator.delayState == .normal)
        #expect((estimator.estimate ?? 0) > 900_000)
    }

    @Test func aTwelveHourCallDoesNotOverflowTheSendClock() {
        var estimator = RemoteBitrateEstimator()
        // One packet every 20 s for 12 hours: the unwrapped abs-send-time passes 2^33 ticks.
        for i in 0..<2160 {
            let t = Duration.seconds(20 * Int64(i))
            estimator.onPacketReceived(absSendTime: AbsSendTime.from(t), size: 100, ssrc: 1, at: t)
        }
        #expect(estimator.delayState == .normal)
    }
}
