import NetworkPrimitives
import Testing
import VirtualNetwork
@testable import RTP

/// A sender streaming VP8-like frames to a receiver over the virtual network, with NACK/RTX
/// and PLI, driven entirely by the simulated clock.
struct StreamingScenario {
    var forward: LinkConditions
    var backward: LinkConditions
    var nackEnabled = true
    var seed: UInt64 = 1
    var duration: Duration = .seconds(30)
    var frameRate = 30
    var deltaFrameSize = 4000
    var keyFrameSize = 12_000

    struct Result {
        var framesSent = 0
        var keyframesSent = 0
        var mediaPacketsSent: Int64 = 0
        var sender = RTCOutboundRtpStreamStats()
        var receiver = RTCInboundRtpStreamStats()
        var framesDelivered = 0
        var framesDecodable = 0
        var corruptFrames = 0
        var forwardLink = LinkStatistics()
        var backwardLink = LinkStatistics()
        var maxFrameLatency: Duration = .zero
        var senderRTT: Double?
        var receiverRTT: Duration = .zero

        /// Distinct original sequence numbers that reached the receiver, directly or in RTX
        /// (counted by the harness, independently of the receiver's own statistics).
        var distinctPacketsArrived = 0

        var packetsRecoveredPercent: Double { 100 * Double(distinctPacketsArrived) / Double(mediaPacketsSent) }
        var lossPercent: Double { 100 * Double(receiver.packetsLost) / Double(mediaPacketsSent) }
    }

    /// Frame n's bytes: the VP8 payload header byte (P bit clear for keyframes), then n and a
    /// pattern derived from it, so the receiver can check every byte it rebuilt.
    static func frame(_ n: Int, size: Int, key: Bool) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        bytes[0] = key ? 0x50 : 0x51
        bytes[1] = UInt8(n >> 16 & 0xFF); bytes[2] = UInt8(n >> 8 & 0xFF); bytes[3] = UInt8(n & 0xFF)
        for i in 4..<size { bytes[i] = UInt8(truncatingIfNeeded: n &* 31 &+ i &* 7) }
        return bytes
    }

    func run() throws -> Result {
        let net = VirtualNetwork(seed: seed)
        let senderAddress = TransportAddress("10.0.0.1:5000")!
        let receiverAddress = TransportAddress("10.0.0.2:5002")!
        net.setConditions(forward, from: senderAddress.ip, to: receiverAddress.ip)
        net.setConditions(backward, from: receiverAddress.ip, to: senderAddress.ip)

        var sender = RTPSendStream(configuration: RTPSendStreamConfiguration(
            ssrc: 0x1111_1111, payloadType: 96, clockRate: 90_000, rtxSSRC: 0x2222_2222, rtxPayloadType: 97,
            extensions: RTPHeaderExtensionMap(mid: 1, absSendTime: 2, transportSequenceNumber: 3), mid: "0"),
            initialSequenceNumber: 65_000)
        var receiver = RTPReceiveStream<VP8Depacketizer>(configuration: RTPReceiveStreamConfiguration(
            ssrc: 0x1111_1111, payloadType: 96, clockRate: 90_000, rtxSSRC: 0x2222_2222, rtxPayloadType: 97,
            localSSRC: 0x3333_3333, nackEnabled: nackEnabled))
        var packetizer = VP8Packetizer()
        var result = Result()
        var keyframeRequested = true
        var sendTimes: [UInt32: Duration] = [:]
        var arrived = Set<UInt16>()

        let frameTimer = 1, reportTimer = 2, pollTimer = 3
        let frameInterval = Duration.seconds(1) / frameRate
        let onFrame: (RTPAssembledFrame, UnsafeRawBufferPointer) -> Void = { frame, bytes in
            result.framesDelivered += 1
            if frame.isDecodable { result.framesDecodable += 1 }
            guard bytes.count >= 4 else { result.corruptFrames += 1; return }
            let n = Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
            let expected = StreamingScenario.frame(n, size: bytes.count, key: bytes[0] == 0x50)
            if !expected.elementsEqual(bytes) || UInt32(n * 3000) != frame.timestamp { result.corruptFrames += 1 }
            if let sent = sendTimes[frame.timestamp] { result.maxFrameLatency = max(result.maxFrameLatency, net.now - sent) }
        }

        net.bind(senderAddress) { event in
            switch event {
            case .delivery(let d):
                guard let feedback = try? d.payload.withUnsafeBytes({ raw in
                    try sender.handleRTCP(raw, at: net.now) { net.send($0, from: senderAddress, to: receiverAddress) }
                }) else { return }
                if feedback.keyframeRequest != nil { keyframeRequested = true }
            case .timer(_, _, let tag, _) where tag == frameTimer:
                guard result.framesSent < Int(duration / frameInterval + 0.5) else { return }
                let n = result.framesSent
                let key = keyframeRequested
                keyframeRequested = false
                let frame = StreamingScenario.frame(n, size: key ? keyFrameSize : deltaFrameSize, key: key)
                let timestamp = UInt32(n * 3000)
                sendTimes[timestamp] = net.now
                try? packetizer.packetize(frame) { payload, last in
                    try sender.send(payload: payload, timestamp: timestamp, marker: last, at: net.now) {
                        net.send($0, from: senderAddress, to: receiverAddress)
                    }
                }
                result.framesSent += 1
                if key { result.keyframesSent += 1 }
                net.scheduleTimer(after: frameInterval, owner: senderAddress, tag: frameTimer)
            case .timer:
                let ntp = NTPTime.timestamp(.seconds(3_900_000_000) + net.now)
                try? sender.makeSenderReport(ntpTime: ntp, at: net.now) { net.send($0, from: senderAddress, to: receiverAddress) }
                net.scheduleTimer(after: .seconds(1), owner: senderAddress, tag: reportTimer)
            }
        }
        net.bind(receiverAddress) { event in
            switch event {
            case .delivery(let d):
                d.payload.withUnsafeBytes { raw in
                    if isRTCPPacket(raw) {
                        if let packets = try? RTCPPacket.parseCompound(raw) { receiver.handleRTCP(packets, at: net.now) }
                    } else {
                        if let h = try? RTPHeader.parse(raw), h.payloadRange.count >= 2 {
                            let seq = h.ssrc == 0x2222_2222
                                ? UInt16(raw[h.payloadRange.lowerBound]) << 8 | UInt16(raw[h.payloadRange.lowerBound + 1])
                                : h.sequenceNumber
                            arrived.insert(seq)
                        }
                        try? receiver.receive(raw, at: net.now, onFrame: onFrame)
                    }
                }
            case .timer:
                receiver.poll(at: net.now, onFrame: onFrame) { net.send($0, from: receiverAddress, to: senderAddress) }
                net.scheduleTimer(after: .milliseconds(10), owner: receiverAddress, tag: pollTimer)
            }
        }
        net.scheduleTimer(at: .zero, owner: senderAddress, tag: frameTimer)
        net.scheduleTimer(at: .milliseconds(500), owner: senderAddress, tag: reportTimer)
        net.scheduleTimer(at: .zero, owner: receiverAddress, tag: pollTimer)
        // Two more seconds to let the last repairs arrive.
        net.run(until: duration + .seconds(2))

        result.mediaPacketsSent = sender.statistics.packetsSent - sender.statistics.retransmittedPacketsSent
        result.sender = sender.statistics
        result.receiver = receiver.statistics
        result.forwardLink = net.statistics(from: senderAddress.ip, to: receiverAddress.ip)
        result.backwardLink = net.statistics(from: receiverAddress.ip, to: senderAddress.ip)
        result.distinctPacketsArrived = arrived.count
        result.senderRTT = sender.remoteStatistics.roundTripTime
        result.receiverRTT = receiver.roundTripTime
        return result
    }
}

func report(_ name: String, _ r: StreamingScenario.Result) {
    let fwd = r.forwardLink
    let firstLoss = 100 * Double(fwd.lossCount) / Double(max(fwd.datagramsSent, 1))
    print("""
        [\(name)] frames sent \(r.framesSent) (keyframes \(r.keyframesSent)), delivered \(r.framesDelivered), \
        decodable \(r.framesDecodable), corrupt \(r.corruptFrames); media packets \(r.mediaPacketsSent), \
        arrived \(r.distinctPacketsArrived) = \(String(format2: r.packetsRecoveredPercent))% \
        (receiver stats: packetsReceived \(r.receiver.packetsReceived), packetsLost \(r.receiver.packetsLost)); forward link loss \(String(format2: firstLoss))% of \(fwd.datagramsSent) \
        (tail drops \(fwd.tailDrops), max queueing \(fwd.maxQueueingDelay)); \
        nackCount \(r.receiver.nackCount), RTX sent \(r.sender.retransmittedPacketsSent), pliCount \(r.receiver.pliCount), \
        framesDropped \(r.receiver.framesDropped), jitter \(String(format2: r.receiver.jitter * 1000)) ms, \
        RTT sender \(r.senderRTT.map { String(format2: $0 * 1000) } ?? "-") ms / receiver \(r.receiverRTT), \
        max frame latency \(r.maxFrameLatency)
        """)
}

extension String {
    init(format2 value: Double) {
        let scaled = (value * 100).rounded()
        let whole = Int(scaled) / 100, frac = abs(Int(scaled) % 100)
        self = "\(whole).\(frac < 10 ? "0" : "")\(frac)"
    }
}

@Suite struct StreamingScenarioTests {
    static let lossy = LinkConditions(delay: .milliseconds(100), jitter: .milliseconds(5), lossRate: 0.05)

    @Test func nackAndRTXRecoverRandomLoss() throws {
        let r = try StreamingScenario(forward: Self.lossy, backward: Self.lossy).run()
        report("5% random loss, 100 ms, NACK+RTX", r)
        #expect(r.framesSent == 900)
        #expect(r.packetsRecoveredPercent >= 99)
        #expect(r.corruptFrames == 0)
        #expect(r.forwardLink.randomLosses > 150)  // the link really lost packets (~5% of ~3800)
        #expect(r.receiver.retransmittedPacketsReceived > 140)
        #expect(r.framesDelivered >= 890)
        // RTT measured both ways is about 2 × 100 ms.
        #expect(abs((r.senderRTT ?? 0) - 0.2) < 0.03)
        #expect(r.receiverRTT > .milliseconds(180) && r.receiverRTT < .milliseconds(240))
    }

    @Test func nackAndRTXRecoverBurstLoss() throws {
        // Gilbert-Elliott: bursts of 4 packets on average, ~5% loss, both directions.
        let bursty = LinkConditions(delay: .milliseconds(100), jitter: .milliseconds(5),
                                    burstLoss: GilbertElliott(goodToBad: 0.0125, badToGood: 0.25))
        let r = try StreamingScenario(forward: bursty, backward: bursty, seed: 2).run()
        report("~5% burst loss, 100 ms, NACK+RTX", r)
        #expect(r.packetsRecoveredPercent >= 99)
        #expect(r.corruptFrames == 0)
        #expect(r.forwardLink.burstLosses > 200)
    }

    @Test func withoutNACKLossStaysNearFivePercent() throws {
        let r = try StreamingScenario(forward: Self.lossy, backward: Self.lossy, nackEnabled: false).run()
        report("5% random loss, no NACK", r)
        #expect(r.lossPercent > 4 && r.lossPercent < 6)
        #expect(r.packetsRecoveredPercent < 97)
        #expect(r.sender.retransmittedPacketsSent == 0 && r.receiver.nackCount == 0)
        #expect(r.corruptFrames == 0)
        // Lost frames trigger PLI and keyframes.
        #expect(r.receiver.pliCount > 10 && r.keyframesSent > 10)
    }

    @Test func bandwidthCapQueuesAndDropsMedia() throws {
        // ~1 Mbit/s of video into a 600 kbit/s bottleneck with a 30 kB queue: the queue
        // fills (delay grows to ~400 ms) and tail drops start; NACK cannot keep up.
        let capped = LinkConditions(delay: .milliseconds(20), bandwidth: 600_000, queueLimitBytes: 30_000)
        let r = try StreamingScenario(forward: capped, backward: LinkConditions(delay: .milliseconds(20)),
                                      duration: .seconds(5)).run()
        report("600 kbit/s cap, 30 kB queue", r)
        #expect(r.forwardLink.tailDrops > 50)
        #expect(r.forwardLink.maxQueueingDelay > .milliseconds(300))
        #expect(r.forwardLink.maxQueueingDelay <= .milliseconds(420))
        #expect(r.corruptFrames == 0)
    }

    @Test func deterministicGivenSeed() throws {
        var s = StreamingScenario(forward: Self.lossy, backward: Self.lossy, duration: .seconds(3))
        let a = try s.run(), b = try s.run()
        #expect(a.receiver == b.receiver && a.forwardLink == b.forwardLink)
        s.seed = 7
        let c = try s.run()
        #expect(a.forwardLink != c.forwardLink)
    }
}
