import Testing
@testable import RTP

/// The parts of the send-side estimator, each against figures worked out by hand.
@Suite struct CongestionEstimatorTests {
    /// 1200-byte packets sent at `rate` through a FIFO link of `capacity`, fed to a
    /// delay-based estimator in 50 ms feedback batches. Returns when (if) overuse was seen
    /// and the last detector state.
    func delayDetector(rate: Double, capacity: Double, duration: Double)
        -> (overuseAt: Double?, state: BandwidthUsage)
    {
        var estimator = DelayBasedBandwidthEstimator(minimumBitrate: 10_000, maximumBitrate: 10_000_000)
        estimator.setStartBitrate(Int(rate))
        var finish = 0.0, t = 0.0, nextFeedback = 0.05
        var overuseAt: Double?
        var batch: [PacketResult] = []
        var seq: Int64 = 0
        while t < duration {
            let arrival = max(t, finish) + 9600 / capacity
            finish = arrival
            seq += 1
            batch.append(PacketResult(
                sent: SentPacket(transportSequenceNumber: seq, sendTime: .microseconds(Int64(t * 1e6)), size: 1200,
                                 kind: .video),
                receiveTime: .microseconds(Int64(arrival * 1e6))))
            t += 9600 / rate
            if t > nextFeedback {
                _ = estimator.incomingPacketFeedback(batch, acknowledgedBitrate: Int(min(rate, capacity)),
                                                     probe: nil, at: .microseconds(Int64(t * 1e6)))
                batch.removeAll()
                nextFeedback += 0.05
                if estimator.state == .overusing && overuseAt == nil { overuseAt = t }
            }
        }
        return (overuseAt, estimator.state)
    }

    @Test func trendlineDetectsASustainedOvershootOnly() {
        // A queue growing at 5 % of the rate: a delay slope of 0.05, times 60 deltas and
        // gain 4 is 12 > the threshold, which has fallen to its 6 ms floor.
        let over = delayDetector(rate: 315_000, capacity: 300_000, duration: 5)
        #expect(over.overuseAt.map { $0 < 2 } ?? false)
        let under = delayDetector(rate: 290_000, capacity: 300_000, duration: 5)
        #expect(under.overuseAt == nil && under.state == .normal)
        // 1 %: a slope of 0.01 gives 2.4, under any threshold: GCC cannot see it.
        let slight = delayDetector(rate: 303_000, capacity: 300_000, duration: 5)
        #expect(slight.overuseAt == nil)
    }

    @Test func interArrivalGroupsFiveMillisecondBursts() {
        var groups = InterArrivalDelta()
        var deltas: [InterArrivalDelta.Deltas] = []
        // Three packets per burst 1 ms apart, bursts every 20 ms, arriving 30 ms later.
        for burst in 0..<4 {
            for i in 0..<3 {
                let send = Duration.milliseconds(Int64(20 * burst + i))
                if let d = groups.compute(sendTime: send, arrivalTime: send + .milliseconds(30),
                                          systemTime: send + .milliseconds(40), size: 100) {
                    deltas.append(d)
                }
            }
        }
        // Bursts 0|1, 1|2 complete when bursts 2 and 3 begin.
        #expect(deltas.count == 2)
        #expect(deltas.allSatisfy { $0.sendDelta == .milliseconds(20) && $0.arrivalDelta == .milliseconds(20) })
    }

    @Test func aimdDecreasesToBetaTimesTheAcknowledgedRate() {
        var aimd = AimdRateControl(minimumBitrate: 30_000, maximumBitrate: 10_000_000)
        aimd.setStartBitrate(1_000_000)
        aimd.roundTripTime = .milliseconds(100)
        // Far from convergence: 8 %/s.
        var t = Duration.zero
        aimd.update(.normal, acknowledgedRate: 1_000_000, at: t)
        for _ in 0..<10 {
            t += .milliseconds(100)
            aimd.update(.normal, acknowledgedRate: 1_000_000, at: t)
        }
        #expect(abs(aimd.currentBitrate - 1_080_000) < 5_000)
        aimd.update(.overusing, acknowledgedRate: 900_000, at: t + .milliseconds(50))
        #expect(aimd.currentBitrate == 765_000)
        #expect(aimd.linkCapacity.estimate == 900_000)
        // Near convergence: additive, about one packet per response time, up to 95 % of the capacity.
        let perSecond = aimd.nearMaxIncreaseRatePerSecond
        // 765 kbit/s at 30 fps: 3188-byte frames in 3 packets of 1063 bytes, each per 200 ms.
        #expect(perSecond == 42_500)
        t += .milliseconds(50)
        aimd.update(.normal, acknowledgedRate: 765_000, at: t)
        for _ in 0..<10 {
            t += .milliseconds(100)
            aimd.update(.normal, acknowledgedRate: 765_000, at: t)
        }
        #expect(abs(aimd.currentBitrate - (765_000 + perSecond)) < 3_000)
        for _ in 0..<100 {
            t += .milliseconds(100)
            aimd.update(.normal, acknowledgedRate: 850_000, at: t)
        }
        #expect(aimd.currentBitrate == 855_000 && aimd.isAtCapacityBound)
    }

    @Test func lossBasedFollowsTheGCCThresholds() {
        func run(lossPercent: [Int], seconds: Int) -> Int {
            var loss = LossBasedBandwidthEstimator(minimumBitrate: 30_000, maximumBitrate: 10_000_000,
                                                   startBitrate: 1_000_000)
            loss.roundTripTime = .milliseconds(100)
            // A report of 100 packets every 100 ms, cycling through the given loss figures.
            for i in 0..<(seconds * 10) {
                let t = Duration.seconds(3) + .milliseconds(100 * Int64(i))
                loss.updatePacketsLost(lossPercent[i % lossPercent.count], of: 100, at: t)
            }
            return loss.currentTarget
        }
        // < 2 %: 8 %/s (from the lowest target of the last second).
        let grown = run(lossPercent: [1], seconds: 5)
        #expect(grown > 1_400_000 && grown < 1_500_000)
        // 2-10 %: hold; random loss of 5 % with 15 % windows now and then does not cut.
        #expect(run(lossPercent: [5], seconds: 5) == 1_000_000)
        #expect(run(lossPercent: [3, 4, 15, 5, 2, 6, 4, 3], seconds: 10) == 1_000_000)
        // > 10 % sustained: × (1 − 0.5 · 0.2) at most every 300 ms + RTT (400 ms).
        let cut = run(lossPercent: [20], seconds: 2)
        #expect(cut == Int(1_000_000 * 0.9 * 0.9 * 0.9 * 0.9 * 0.9))
    }

    @Test func probeEstimatorTakesTheReceiveRateOfASaturatedPath() {
        var estimator = ProbeBitrateEstimator()
        let cluster = ProbeCluster(id: 1, bitrate: 2_000_000, minimumBytes: 3750, createdAt: .zero)
        var result: Int?
        // 10 packets of 1000 bytes sent at 2 Mbit/s (4 ms apart), received at 1 Mbit/s (8 ms).
        for i in 0..<10 {
            let sent = SentPacket(transportSequenceNumber: Int64(i), sendTime: .milliseconds(4 * Int64(i)), size: 1000,
                                  probeClusterID: 1, kind: .padding)
            result = estimator.handleProbe(PacketResult(sent: sent, receiveTime: .milliseconds(50 + 8 * Int64(i))),
                                           cluster: cluster, at: .milliseconds(200))
        }
        #expect(result == 950_000)
        // Unsaturated: the lesser of the two.
        var fast = ProbeBitrateEstimator()
        for i in 0..<10 {
            let sent = SentPacket(transportSequenceNumber: Int64(i), sendTime: .milliseconds(4 * Int64(i)), size: 1000,
                                  probeClusterID: 2, kind: .padding)
            result = fast.handleProbe(PacketResult(sent: sent, receiveTime: .milliseconds(50 + 4 * Int64(i))),
                                      cluster: ProbeCluster(id: 2, bitrate: 2_000_000, minimumBytes: 3750,
                                                            createdAt: .zero),
                                      at: .milliseconds(200))
        }
        #expect(result == 2_000_000)
    }

    @Test func congestionWindowPushesBackWhileTheQueueStands() {
        var window = CongestionWindowPushbackController()
        window.updateWindow(target: 1_000_000, roundTripTime: .milliseconds(50))
        // (50 + 350 ms) × 1 Mbit/s = 50 kB.
        #expect(window.dataWindow == 50_000)
        var target = 1_000_000
        for _ in 0..<10 { target = window.updateTargetBitrate(1_000_000, outstandingBytes: 100_000) }
        #expect(target == Int(1_000_000 * pow09(10)))
        // Drained: back to the full target.
        #expect(window.updateTargetBitrate(1_000_000, outstandingBytes: 1_000) == 1_000_000)
    }

    func pow09(_ n: Int) -> Double { (0..<n).reduce(1.0) { r, _ in r * 0.9 } }

    @Test func controllerProbesAtStartAndObeysREMBAndConstraints() {
        var gcc = GoogleCongestionController(constraints: BitrateConstraints(minimum: 30_000, start: 300_000,
                                                                             maximum: 2_000_000))
        #expect(gcc.takeProbeClusters().isEmpty)  // nothing before the first packet
        gcc.onPacketSent(SentPacket(transportSequenceNumber: 1, sendTime: .milliseconds(10), size: 1000, kind: .video))
        let probes = gcc.takeProbeClusters()
        #expect(probes.map(\.bitrate) == [900_000, 1_800_000])
        #expect(probes.map(\.minimumBytes) == [1687, 3375])
        #expect(gcc.takeProbeClusters().isEmpty)
        let first = gcc.process(at: .milliseconds(25))
        #expect(first?.targetBitrate == 300_000 && first?.pacingRate == 750_000)
        #expect(first?.paddingRate == 300_000)  // probing
        #expect(gcc.process(at: .milliseconds(50)) == nil)  // unchanged

        gcc.onREMB(bitrate: 200_000, at: .milliseconds(60))
        let capped = gcc.process(at: .milliseconds(75))
        #expect(capped?.targetBitrate == 200_000 && capped?.limitedBy == .remb)

        gcc.setConstraints(BitrateConstraints(minimum: 250_000, start: 300_000, maximum: 2_000_000), at: .milliseconds(80))
        #expect(gcc.process(at: .milliseconds(100))?.targetBitrate == 250_000)
    }

    @Test func receiverReportLossCutsWithoutTransportFeedback() {
        var gcc = GoogleCongestionController(constraints: BitrateConstraints(start: 1_000_000))
        var t = Duration.seconds(3)
        for _ in 0..<5 {
            gcc.onReceiverReport(fractionLost: 0.3, roundTripTime: .milliseconds(100), at: t)
            _ = gcc.process(at: t)
            t += .seconds(1)
        }
        // Five reports of 30 %: × 0.85 each.
        #expect(gcc.current.targetBitrate == 443_705)
        #expect(gcc.current.limitedBy == .loss)
        #expect(gcc.roundTripTime == .milliseconds(100))
    }
}
