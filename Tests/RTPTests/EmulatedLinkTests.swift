import NetworkPrimitives
import Testing
import VirtualNetwork

@Suite struct EmulatedLinkTests {
    @Test func queueingDelayOfEachPacketAndOverflow() {
        // 1 Mbit/s, room for 3 datagrams of 1000 B (1028 on the wire); a burst of 5 at t=0.
        var link = EmulatedLink(conditions: LinkConditions(delay: .milliseconds(10), bandwidth: 1_000_000, queueLimitBytes: 3 * 1028), seed: 1)
        let outcomes = (0..<5).map { _ in link.transmit(size: 1000, at: .zero) }
        let serialization = Duration.nanoseconds(8_224_000)
        #expect(outcomes.map(\.queueingDelay) == [.zero, serialization, serialization * 2, .zero, .zero])
        #expect(outcomes.map(\.dropReason) == [nil, nil, nil, .queueOverflow, .queueOverflow])
        #expect(outcomes[2].arrivals == [serialization * 3 + .milliseconds(10)])
        #expect(outcomes[3].arrivals.isEmpty)
        #expect(link.statistics.drops(.queueOverflow) == 2 && link.statistics.datagramsDelivered == 3)
        // Once the first has left, one more fits.
        #expect(link.backlog(at: serialization) == 2 * 1028)
        #expect(link.transmit(size: 1000, at: serialization).dropReason == nil)
    }

    @Test func dropReasonsAreCounted() {
        var link = EmulatedLink(conditions: LinkConditions(lossRate: 0.1, burstLoss: GilbertElliott(goodToBad: 0.01, badToGood: 0.5)), seed: 7)
        var reasons: [LinkDropReason: Int] = [:]
        for i in 0..<10_000 {
            if let r = link.transmit(size: 100, at: .milliseconds(i)).dropReason { reasons[r, default: 0] += 1 }
        }
        #expect(reasons[.random] == link.statistics.drops(.random))
        #expect(reasons[.burst] == link.statistics.drops(.burst))
        // 10% random of what the bursts let through; bursts take about 2%.
        #expect(abs(Double(reasons[.random] ?? 0) / 10_000 - 0.098) < 0.01)
        #expect(abs(Double(reasons[.burst] ?? 0) / 10_000 - 0.0196) < 0.008)
    }

    @Test func duplicatesArriveTwice() {
        var link = EmulatedLink(conditions: LinkConditions(delay: .milliseconds(5), duplicateRate: 1), seed: 2)
        #expect(link.transmit(size: 10, at: .zero).arrivals == [.milliseconds(5), .milliseconds(5)])
    }

    @Test func scenarioChangesTheRateAtItsSteps() {
        // 2 Mbit/s, then 500 kbit/s from 1 s: a 1000 B datagram takes 4.112 ms, then 16.448 ms.
        let fast = LinkConditions(delay: .milliseconds(20), bandwidth: 2_000_000)
        let slow = LinkConditions(delay: .milliseconds(20), bandwidth: 500_000)
        let scenario = LinkScenario(steps: [.init(at: .seconds(1), conditions: slow), .init(at: .zero, conditions: fast)])
        #expect(scenario.conditions(at: .milliseconds(999)) == fast && scenario.conditions(at: .seconds(2)) == slow)
        var link = EmulatedLink(scenario: scenario, seed: 3)
        #expect(link.transmit(size: 1000, at: .zero).arrival == .milliseconds(20) + .microseconds(4112))
        #expect(link.transmit(size: 1000, at: .seconds(1)).arrival == .seconds(1) + .milliseconds(20) + .microseconds(16_448))
        #expect(link.conditions == slow)
    }

    @Test func virtualNetworkScenario() {
        let a = TransportAddress("10.0.0.1:1")!, b = TransportAddress("10.0.0.2:2")!
        let net = VirtualNetwork(seed: 1)
        net.setScenario(LinkScenario(steps: [.init(at: .zero, conditions: LinkConditions(delay: .milliseconds(10))),
                                             .init(at: .seconds(1), conditions: LinkConditions(delay: .milliseconds(50)))]),
                        from: a.ip, to: b.ip)
        net.send([1], from: a, to: b)
        guard case .delivery(let first) = net.nextEvent() else { Issue.record("expected delivery"); return }
        _ = net.nextEvent(until: .seconds(1))
        net.send([2], from: a, to: b)
        guard case .delivery(let second) = net.nextEvent() else { Issue.record("expected delivery"); return }
        #expect(first.deliveredAt == .milliseconds(10) && second.deliveredAt == .seconds(1) + .milliseconds(50))
    }
}
