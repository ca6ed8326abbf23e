import NetworkPrimitives
import Testing
import VirtualNetwork

@Suite struct VirtualNetworkTests {
    let a = TransportAddress("10.0.0.1:5000")!
    let b = TransportAddress("10.0.0.2:6000")!

    @Test func addresses() {
        #expect(TransportAddress("10.0.0.1:5000")?.description == "10.0.0.1:5000")
        #expect(TransportAddress("[::1]:443")?.description == "[::1]:443")
        #expect(TransportAddress("[fe80::1:0:0:2]:9")?.description == "[fe80::1:0:0:2]:9")
        #expect(TransportAddress("[2001:db8:0:0:1:0:0:1]:1")?.ip == IPAddress("2001:db8::1:0:0:1"))
        #expect(TransportAddress("10.0.0.256:1") == nil)
        #expect(TransportAddress("10.0.0.1") == nil)
        #expect(TransportAddress("::1:5") == nil)
        #expect(TransportAddress("[1::2::3]:5") == nil)
        // The split both TransportAddress and Signaling's HostPort read "HOST:PORT" with.
        func split(_ text: String) -> String? { splitHostPort(text).map { "\($0.host)|\($0.port)|\($0.bracketed)" } }
        #expect(split("example.org:80") == "example.org|80|false")
        #expect(split(":8080") == "|8080|false")
        #expect(split("[::1]:9") == "::1|9|true")
        #expect(split("::1:5") == "::1|5|false")
        #expect(split("[::1]") == nil && split("[::1:80") == nil && split("localhost") == nil)
    }

    @Test func delayAndOrder() {
        let net = VirtualNetwork(seed: 1)
        net.setConditions(LinkConditions(delay: .milliseconds(100)), from: a.ip, to: b.ip)
        net.send([1], from: a, to: b)
        net.scheduleTimer(after: .milliseconds(50), owner: a, tag: 7)
        guard case .timer(_, let owner, let tag, let at) = net.nextEvent() else { Issue.record("expected timer"); return }
        #expect(owner == a && tag == 7 && at == .milliseconds(50))
        guard case .delivery(let d) = net.nextEvent() else { Issue.record("expected delivery"); return }
        #expect(d.payload == [1] && d.source == a && d.destination == b && d.deliveredAt == .milliseconds(100))
        #expect(net.now == .milliseconds(100))
        #expect(net.nextEvent(until: .seconds(5)) == nil && net.now == .seconds(5))
    }

    @Test func cancelledTimersDoNotFire() {
        let net = VirtualNetwork(seed: 1)
        let id = net.scheduleTimer(after: .milliseconds(10))
        net.scheduleTimer(after: .milliseconds(20), tag: 2)
        net.cancelTimer(id)
        guard case .timer(_, _, let tag, _) = net.nextEvent() else { Issue.record("expected timer"); return }
        #expect(tag == 2)
    }

    func lossRun(seed: UInt64, conditions: LinkConditions, count: Int = 20_000) -> (delivered: Int, stats: LinkStatistics) {
        let net = VirtualNetwork(seed: seed)
        net.setConditions(conditions, from: a.ip, to: b.ip)
        for i in 0..<count { net.send([UInt8(truncatingIfNeeded: i)], from: a, to: b) }
        var delivered = 0
        while case .delivery = net.nextEvent() { delivered += 1 }
        return (delivered, net.statistics(from: a.ip, to: b.ip))
    }

    @Test func randomLossRateAndDeterminism() {
        let r1 = lossRun(seed: 42, conditions: LinkConditions(delay: .milliseconds(10), lossRate: 0.05))
        let r2 = lossRun(seed: 42, conditions: LinkConditions(delay: .milliseconds(10), lossRate: 0.05))
        let r3 = lossRun(seed: 43, conditions: LinkConditions(delay: .milliseconds(10), lossRate: 0.05))
        let rate = 1 - Double(r1.delivered) / 20_000
        #expect(abs(rate - 0.05) < 0.006)
        #expect(r1.stats == r2.stats)
        #expect(r1.stats.randomLosses != r3.stats.randomLosses)
    }

    @Test func gilbertElliottBursts() {
        // Mean burst 4 packets, about 5% loss overall.
        let model = GilbertElliott(goodToBad: 0.0125, badToGood: 0.25)
        let net = VirtualNetwork(seed: 5)
        net.setConditions(LinkConditions(burstLoss: model), from: a.ip, to: b.ip)
        var received = [Bool](repeating: false, count: 40_000)
        for i in 0..<received.count { net.send([UInt8(i & 0xFF), UInt8(i >> 8 & 0xFF), UInt8(i >> 16)], from: a, to: b) }
        while case .delivery(let d) = net.nextEvent() {
            received[Int(d.payload[0]) | Int(d.payload[1]) << 8 | Int(d.payload[2]) << 16] = true
        }
        let lost = received.filter { !$0 }.count
        var bursts = 0
        for i in received.indices where !received[i] && (i == 0 || received[i - 1]) { bursts += 1 }
        let meanBurst = Double(lost) / Double(bursts)
        #expect(abs(Double(lost) / 40_000 - model.averageLossRate) < 0.015)
        #expect(meanBurst > 3 && meanBurst < 5)
    }

    @Test func jitterReordersAndDuplication() {
        let r = lossRun(seed: 9, conditions: LinkConditions(delay: .milliseconds(50), jitter: .milliseconds(30), duplicateRate: 0.1), count: 2000)
        #expect(r.stats.duplicates > 150 && r.stats.duplicates < 250)
        #expect(r.delivered == 2000 + r.stats.duplicates)
        let net = VirtualNetwork(seed: 9)
        net.setConditions(LinkConditions(delay: .milliseconds(50), reorderRate: 0.2), from: a.ip, to: b.ip)
        for i in 0..<200 {
            net.send([UInt8(i)], from: a, to: b)
            _ = net.nextEvent(until: net.now + .milliseconds(1))
        }
        var order: [UInt8] = []
        while case .delivery(let d) = net.nextEvent() { order.append(d.payload[0]) }
        #expect(order.count + 0 <= 200 && order != order.sorted())
    }

    @Test func bandwidthCapQueuesAndTailDrops() {
        // 1 Mbit/s, 10 kB queue; 1000-byte datagrams (1028 on the wire) offered at 2 Mbit/s
        // for 1 s: about half must be tail-dropped and the queue delay approaches
        // 10 kB / 1 Mbit/s = 80 ms.
        let net = VirtualNetwork(seed: 3)
        net.setConditions(LinkConditions(delay: .milliseconds(20), bandwidth: 1_000_000, queueLimitBytes: 10_000), from: a.ip, to: b.ip)
        let payload = [UInt8](repeating: 0, count: 1000)
        var deliveries: [Duration] = []
        var sent = 0
        var t = Duration.zero
        while t < .seconds(1) {
            net.send(payload, from: a, to: b)
            sent += 1
            t += .microseconds(4000)  // 250 datagrams/s = 2 Mbit/s
            while case .delivery(let d) = net.nextEvent(until: t) { deliveries.append(d.deliveredAt - d.sentAt) }
        }
        while case .delivery(let d) = net.nextEvent() { deliveries.append(d.deliveredAt - d.sentAt) }
        let stats = net.statistics(from: a.ip, to: b.ip)
        let maxDelay = deliveries.max() ?? .zero
        print("bandwidth cap: sent \(sent), delivered \(deliveries.count), tail drops \(stats.tailDrops), max queueing \(stats.maxQueueingDelay), max one-way \(maxDelay)")
        #expect(stats.tailDrops > 100 && stats.tailDrops < 140)
        #expect(deliveries.count + stats.tailDrops == sent)
        #expect(stats.maxQueueingDelay > .milliseconds(60) && stats.maxQueueingDelay <= .milliseconds(82))
        #expect(deliveries.first == .milliseconds(20) + .nanoseconds(8_224_000))  // 1028 B at 1 Mbit/s + 20 ms
        // Delivered throughput is the link rate: ~121 datagrams of 1028 B per second.
        #expect(deliveries.count > 115 && deliveries.count < 135)
    }

    @Test func runDispatchesToBoundHandlers() {
        let net = VirtualNetwork(seed: 1, defaultConditions: LinkConditions(delay: .milliseconds(5)))
        var pings = 0, pongs = 0
        net.bind(b) { event in
            if case .delivery(let d) = event { pings += 1; net.send(d.payload, from: b, to: d.source) }
        }
        net.bind(a) { event in
            switch event {
            case .delivery: pongs += 1
            case .timer: net.send([0], from: a, to: b); net.scheduleTimer(after: .milliseconds(100), owner: a)
            }
        }
        net.scheduleTimer(after: .zero, owner: a)
        net.run(until: .seconds(1))
        #expect(pings == 10 && pongs == 10)
        #expect(net.now == .seconds(1))
    }
}
