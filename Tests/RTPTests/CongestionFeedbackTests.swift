import Testing
import VirtualNetwork
@testable import RTP

/// Receiver's `TransportFeedbackGenerator` → RTCP bytes → parse → sender's
/// `TransportFeedbackAdapter`: every arrival and loss comes back.
@Suite struct CongestionFeedbackTests {
    struct Arrival {
        var sequenceNumber: Int64
        var time: Duration
    }

    /// Sends `count` packets from `first` (1 ms apart), drops every `lossEvery`-th, holds back
    /// every `lateEvery`-th by `lateBy`, and runs them through generator and adapter.
    /// Returns the sender's view: sequence number → reported arrival (nil: lost), and the
    /// arrivals as they really were.
    func roundTrip(first: Int64, count: Int, lossEvery: Int, lateEvery: Int, lateBy: Duration,
                   maximumMessageSize: Int = 1200)
        -> (reported: [Int64: Duration?], actual: [Int64: Duration], messages: Int, lateArrivals: Int,
            adapter: TransportFeedbackAdapter, generator: TransportFeedbackGenerator)
    {
        var adapter = TransportFeedbackAdapter()
        var generator = TransportFeedbackGenerator(senderSSRC: 0x1234, interval: .milliseconds(50))
        generator.maximumMessageSize = maximumMessageSize
        var arrivals: [Arrival] = []
        var random = SeededGenerator(seed: 7)
        for i in 0..<count {
            let seq = first + Int64(i)
            let sendTime = Duration.milliseconds(Int64(i))
            adapter.onPacketSent(SentPacket(transportSequenceNumber: seq, sendTime: sendTime, size: 1000, kind: .video))
            if i % lossEvery == lossEvery - 1 && i != count - 1 { continue }
            // 20-21 ms one way, in µs steps so the 250 µs rounding shows.
            var arrival = sendTime + .milliseconds(20) + .microseconds(Int64(random.next() % 1000))
            if i % lateEvery == lateEvery - 1 && i != count - 1 { arrival += lateBy }
            arrivals.append(Arrival(sequenceNumber: seq, time: arrival))
        }
        arrivals.sort { $0.time < $1.time }

        var reported: [Int64: Duration?] = [:]
        var messages = 0
        var lateArrivals = 0
        func deliver(_ feedback: [RTCPTransportFeedback], at now: Duration) {
            for message in feedback {
                messages += 1
                var bytes: [UInt8] = []
                #expect(throws: Never.self) { try message.write(into: &bytes) }
                #expect(bytes.count <= maximumMessageSize)
                guard let packets = try? RTCPPacket.parseCompound(bytes),
                      case .transportFeedback(let parsed) = packets.first else {
                    Issue.record("feedback did not parse")
                    continue
                }
                #expect(parsed == message)
                guard let result = adapter.process(parsed, at: now) else { continue }
                lateArrivals += result.lateArrivals
                for p in result.packets {
                    if let old = reported[p.sent.transportSequenceNumber], old != nil {
                        Issue.record("packet \(p.sent.transportSequenceNumber) reported twice")
                    }
                    reported[p.sent.transportSequenceNumber] = .some(p.receiveTime)
                }
            }
        }
        for a in arrivals {
            if let due = generator.nextFeedbackTime, due <= a.time {
                deliver(generator.poll(at: due), at: due + .milliseconds(20))
            }
            generator.onPacketReceived(transportSequenceNumber: UInt16(truncatingIfNeeded: a.sequenceNumber),
                                       mediaSSRC: 0xABCD, at: a.time)
        }
        let end = (arrivals.last?.time ?? .zero) + .milliseconds(100)
        deliver(generator.flush(at: end), at: end + .milliseconds(20))
        var actual: [Int64: Duration] = [:]
        for a in arrivals { actual[a.sequenceNumber] = a.time }
        return (reported, actual, messages, lateArrivals, adapter, generator)
    }

    func check(_ r: (reported: [Int64: Duration?], actual: [Int64: Duration], messages: Int, lateArrivals: Int,
                     adapter: TransportFeedbackAdapter, generator: TransportFeedbackGenerator),
               first: Int64, count: Int) {
        var lost = 0
        for i in 0..<count {
            let seq = first + Int64(i)
            guard let entry = r.reported[seq] else {
                Issue.record("packet \(seq) never reported")
                continue
            }
            if let actual = r.actual[seq] {
                guard let got = entry else {
                    Issue.record("packet \(seq) received but reported lost")
                    continue
                }
                // The generator tracks its rounding: each arrival is within half a tick.
                #expect(abs((got - actual) / .microseconds(1)) <= 125.001, "packet \(seq)")
            } else {
                #expect(entry == nil, "packet \(seq) lost but reported received")
                lost += 1
            }
        }
        #expect(lost == count - r.actual.count)
        #expect(r.adapter.dataInFlight == 0)
        #expect(r.adapter.statistics.packetsMissingFromHistory == 0)
        #expect(r.generator.statistics.packetsDroppedFromBacklog == 0)
    }

    @Test func everyArrivalAndLossRoundTripsAcrossTheWrap() {
        // 65_000 + 3000 crosses 65_535 → 0 on the wire.
        let r = roundTrip(first: 65_000, count: 3000, lossEvery: 9, lateEvery: 13, lateBy: .milliseconds(3))
        check(r, first: 65_000, count: 3000)
        #expect(r.messages >= 55)
    }

    @Test func packetsLateBeyondTheirFeedbackAreReportedLater() {
        // 80 ms late: the feedback that covered them said "lost"; a later one moves the
        // window back and says "received", and the adapter drops the repeats.
        let r = roundTrip(first: 10, count: 2000, lossEvery: 17, lateEvery: 11, lateBy: .milliseconds(80))
        check(r, first: 10, count: 2000)
        #expect(r.adapter.statistics.duplicateReports > 0)
        // Each late packet was first reported lost, then received: the loss is taken back.
        #expect(r.lateArrivals > 100)
    }

    @Test func oneLongIntervalIsSplitIntoMessagesThatFit() {
        var adapter = TransportFeedbackAdapter()
        var generator = TransportFeedbackGenerator(senderSSRC: 1, interval: .seconds(1))
        generator.maximumMessageSize = 120
        for i in 0...400 {
            let seq = Int64(65_400 + i)
            let t = Duration.milliseconds(Int64(i))
            adapter.onPacketSent(SentPacket(transportSequenceNumber: seq, sendTime: t, size: 100, kind: .video))
            // Every fourth lost; every sixth arrives 300 ms late (a large delta).
            if i % 4 == 3 { continue }
            generator.onPacketReceived(transportSequenceNumber: UInt16(truncatingIfNeeded: seq), mediaSSRC: 2,
                                       at: t + (i % 6 == 5 ? .milliseconds(300) : .zero))
        }
        let messages = generator.poll(at: .seconds(1))
        #expect(messages.count > 3)
        var received = 0, lost = 0
        var counts: [UInt8] = []
        for m in messages {
            var bytes: [UInt8] = []
            try? m.write(into: &bytes)
            #expect(bytes.count <= 120)
            counts.append(m.feedbackPacketCount)
            guard case .transportFeedback(let parsed)? = try? RTCPPacket.parseCompound(bytes).first,
                  let result = adapter.process(parsed, at: .seconds(1)) else { continue }
            for p in result.packets { if p.receiveTime == nil { lost += 1 } else { received += 1 } }
        }
        #expect(received == 301 && lost == 100)
        #expect(counts == (0..<UInt8(messages.count)).map { $0 })
        #expect(adapter.dataInFlight == 0)
    }

    /// A feedback lost on the way back: its packets leave flight when the next one begins past
    /// them. (Kept in flight, they filled the congestion window over real UDP with 2 % loss
    /// both ways, and the pushback held the target at its 30 kbit/s floor for good.)
    @Test func packetsOfALostFeedbackLeaveFlight() {
        var adapter = TransportFeedbackAdapter()
        var generator = TransportFeedbackGenerator(senderSSRC: 1, interval: .milliseconds(50))
        var delivered = 0, dropped = 0
        for i in 0..<1000 {
            let t = Duration.milliseconds(Int64(i))
            adapter.onPacketSent(SentPacket(transportSequenceNumber: Int64(i), sendTime: t, size: 1000, kind: .video))
            generator.onPacketReceived(transportSequenceNumber: UInt16(i), mediaSSRC: 2, at: t + .milliseconds(20))
            guard let due = generator.nextFeedbackTime, due <= t + .milliseconds(20) else { continue }
            for message in generator.poll(at: due) {
                // Every fifth feedback is lost.
                if (delivered + dropped) % 5 == 4 { dropped += 1; continue }
                delivered += 1
                _ = adapter.process(message, at: due + .milliseconds(20))
            }
        }
        for message in generator.flush(at: .seconds(2)) { _ = adapter.process(message, at: .seconds(2)) }
        #expect(dropped >= 3)
        #expect(adapter.dataInFlight == 0)
        #expect(adapter.statistics.packetsUnreported > 100)
        #expect(adapter.statistics.feedbacksLost == dropped)
    }

    /// The send history holds 60 s (libwebrtc's window) and no more than half as much again:
    /// 180 s at 110 packets a second, answered every 50 ms: 7 204 entries held for 6 600 live,
    /// a capacity of at most 9 983. Compacted in place once half was dead, the array held
    /// 13 198 and kept the 16 468 it had grown to by doubling.
    @Test func theSendHistoryIsSizedForItsWindow() {
        var adapter = TransportFeedbackAdapter()
        var generator = TransportFeedbackGenerator(senderSSRC: 1, interval: .milliseconds(50))
        var mostCapacity = 0
        for i in 0..<(180 * 110) {
            let t = Duration.microseconds(Int64(i) * 1_000_000 / 110)
            adapter.onPacketSent(SentPacket(transportSequenceNumber: Int64(i), sendTime: t, size: 1000, kind: .video))
            generator.onPacketReceived(transportSequenceNumber: UInt16(truncatingIfNeeded: i), mediaSSRC: 2, at: t + .milliseconds(20))
            if let due = generator.nextFeedbackTime, due <= t + .milliseconds(20) {
                for message in generator.poll(at: due) { _ = adapter.process(message, at: due + .milliseconds(20)) }
            }
            mostCapacity = max(mostCapacity, adapter.historyStorage.capacity)
        }
        let live = 60 * 110
        print("feedback adapter: \(adapter.historyStorage.count) entries held, capacity at most \(mostCapacity), for \(live) live")
        #expect(adapter.sentPacket(Int64(180 * 110 - live + 10)) != nil, "60 s are kept")
        #expect(adapter.historyStorage.count <= live * 4 / 3 + 1)
        #expect(mostCapacity <= live * 2, "capacity \(mostCapacity) for \(live) live entries")
        #expect(adapter.statistics.packetsPrunedUnacknowledged == 0)
    }

    @Test func duplicatedFeedbackIsCountedNotReported() {
        var adapter = TransportFeedbackAdapter()
        for i in 0..<10 {
            adapter.onPacketSent(SentPacket(transportSequenceNumber: Int64(i), sendTime: .milliseconds(Int64(i)),
                                            size: 500, kind: .video))
        }
        let fb = RTCPTransportFeedback(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 0, referenceTime: 1,
                                       feedbackPacketCount: 0,
                                       packetStatuses: [.received(delta: 4), .notReceived, .received(delta: 8)])
        let first = adapter.process(fb, at: .milliseconds(100))
        #expect(first?.packets.count == 3)
        #expect(first?.packets[0].receiveTime == .milliseconds(65))
        #expect(first?.packets[2].receiveTime == .milliseconds(67))
        #expect(first?.dataInFlight == 7 * 500)
        #expect(adapter.process(fb, at: .milliseconds(110)) == nil)
        #expect(adapter.statistics.duplicateReports == 3)
        // Feedback for packets never sent is counted.
        let unknown = RTCPTransportFeedback(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 40, referenceTime: 1,
                                            feedbackPacketCount: 1, packetStatuses: [.received(delta: 1)])
        #expect(adapter.process(unknown, at: .milliseconds(120)) == nil)
        #expect(adapter.statistics.packetsMissingFromHistory == 1)
        #expect(adapter.dataInFlight == 7 * 500, "a base past what was sent moves nothing")
    }
}
