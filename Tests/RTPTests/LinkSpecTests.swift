import Testing
import VirtualNetwork

@Suite struct LinkSpecTests {
    @Test func shortForm() throws {
        let spec = try LinkSpec(parsing: "300kbit,100ms,2%")
        #expect(spec.conditions.bandwidth == 300_000)
        #expect(spec.conditions.delay == .milliseconds(50))
        #expect(spec.conditions.lossRate == 0.02)
        // 250 ms at 300 kbit/s is 9375 B, under the 10-packet floor.
        #expect(spec.conditions.queueLimitBytes == 15_000)
        #expect(spec.description == "300 kbit/s, RTT 100 ms, loss 2%, queue 15000 B")
        #expect(try LinkSpec(parsing: "2mbit").conditions.queueLimitBytes == 62_500)
        #expect(try LinkSpec(parsing: " 1.5 Mbit , 40ms ").conditions == LinkConditions(delay: .milliseconds(20), bandwidth: 1_500_000, queueLimitBytes: 46_875))
        #expect(try LinkSpec(parsing: "5%").conditions == LinkConditions(lossRate: 0.05))
    }

    @Test func explicitKeys() throws {
        let c = try LinkSpec(parsing: "rate=2mbit,rtt=50ms,loss=1%,queue=100ms,jitter=5ms,reorder=1%,reorder-delay=30ms,duplicate=0.5%,burst=gilbert(1%,25%)").conditions
        #expect(c.bandwidth == 2_000_000 && c.delay == .microseconds(25_000) && c.lossRate == 0.01)
        #expect(c.queueLimitBytes == 25_000 && c.jitter == .milliseconds(5))
        #expect(c.reorderRate == 0.01 && c.reorderDelay == .milliseconds(30) && c.duplicateRate == 0.005)
        #expect(c.burstLoss == GilbertElliott(goodToBad: 0.01, badToGood: 0.25, lossInGood: 0, lossInBad: 1))
        let g = try LinkSpec(parsing: "burst=gilbert(0.02,0.3,0.99,0.2),delay=10ms").conditions
        #expect(g.burstLoss == GilbertElliott(goodToBad: 0.02, badToGood: 0.3, lossInGood: 1 - 0.99, lossInBad: 0.8))
        #expect(g.delay == .milliseconds(10))
        #expect(try LinkSpec(parsing: "1mbit,queue=20pkt").conditions.queueLimitBytes == 30_000)
        #expect(try LinkSpec(parsing: "1mbit,queue=8kb").conditions.queueLimitBytes == 8000)
        #expect(try LinkSpec(parsing: "rate=unlimited,10ms").conditions.bandwidth == nil)
    }

    @Test func errorsNameTheBadToken() {
        func problem(_ text: String) -> LinkSpecError? {
            do { _ = try LinkSpec(parsing: text); return nil } catch { return error }
        }
        #expect(problem("300kbt,100ms")?.token == "300kbt")
        #expect(problem("300kbps")?.problem.contains("ambiguous") == true)
        #expect(problem("1mbit,loss=200%")?.token == "loss=200%")
        #expect(problem("1mbit,,2%")?.problem.contains("empty") == true)
        #expect(problem("1mbit,2mbit")?.problem.contains("twice") == true)
        #expect(problem("100ms,delay=10ms")?.token == "delay=10ms")
        #expect(problem("color=red")?.problem.contains("unknown key") == true)
        #expect(problem("burst=gilbert(1%)")?.token == "burst=gilbert(1%)")
        #expect(problem("burst=gilbert(1%,0)")?.problem.contains("never") == true)
        #expect(problem("burst=gilbert(1%,x)")?.problem.contains("'x'") == true)
        #expect(problem("queue=10kb")?.problem.contains("needs a rate") == true)
        #expect(problem("-5ms") != nil && problem("nanms") != nil && problem("1e400kbit") != nil)
        #expect(problem("1mbit,100ms,2%") == nil)
    }

    @Test func timeSeriesBinsOffersDropsAndDelays() {
        var link = EmulatedLink(conditions: LinkConditions(bandwidth: 1_000_000, queueLimitBytes: 3 * 1028), seed: 1)
        var series = LinkTimeSeries(interval: .milliseconds(100))
        for i in 0..<5 {
            let at = Duration.milliseconds(i < 4 ? 0 : 150)
            let outcome = link.transmit(size: 1000, at: at)
            series.recordTransmission(outcome, size: 1000, at: at, capacity: link.conditions.bandwidth)
            if let arrival = outcome.arrival { series.recordDelivery(size: 1000, at: arrival) }
        }
        let bins = series.snapshot()
        #expect(bins.count == 2 && bins[1].t == 0.1)
        #expect(bins[0].offeredPackets == 4 && bins[0].droppedQueue == 1 && bins[0].deliveredPackets == 3)
        #expect(bins[0].queueingDelayP50Ms == 8.224 && bins[0].queueingDelayMaxMs == 16.448)
        #expect(bins[1].offeredPackets == 1 && bins[1].queueingDelayMaxMs == 0 && bins[1].capacityBps == 1_000_000)
        // Delays 0, 8.2, 16.4 and 0 ms: the median is in the first 1 ms bucket, the max in the 17th.
        #expect(series.queueingDelayPercentile(0.5) == 1 && series.queueingDelayPercentile(1) == 17)
    }
}
