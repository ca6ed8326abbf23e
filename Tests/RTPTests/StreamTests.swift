import Synchronization
import Testing
@testable import RTP

@Suite struct StreamTests {
    static let senderConfig = RTPSendStreamConfiguration(
        ssrc: 0x1111_1111, payloadType: 96, clockRate: 90_000, rtxSSRC: 0x2222_2222, rtxPayloadType: 97,
        extensions: RTPHeaderExtensionMap(mid: 1, absSendTime: 2, transportSequenceNumber: 3), mid: "v")

    static let receiverConfig = RTPReceiveStreamConfiguration(
        ssrc: 0x1111_1111, payloadType: 96, clockRate: 90_000, rtxSSRC: 0x2222_2222, rtxPayloadType: 97,
        localSSRC: 0x3333_3333)

    func sendFrame(_ sender: inout RTPSendStream, _ packetizer: inout VP8Packetizer, _ frame: [UInt8], ts: UInt32,
                   at now: Duration) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        try packetizer.packetize(frame) { payload, last in
            try sender.send(payload: payload, timestamp: ts, marker: last, at: now) { out.append(Array($0)) }
        }
        return out
    }

    @Test func senderWritesExtensionsAndAnswersNACKWithRTX() throws {
        var sender = RTPSendStream(configuration: Self.senderConfig, initialSequenceNumber: 0xFFFF, initialRTXSequenceNumber: 500)
        var sent: [[UInt8]] = []
        try ([0x51, 0xAA, 0xBB] as [UInt8]).withUnsafeBytes { payload in
            try sender.send(payload: payload, timestamp: 9000, marker: true, at: .milliseconds(1500)) { sent.append(Array($0)) }
        }
        // mid "v" (ID 1), abs-send-time (ID 2) and transport seq (ID 3) reserved as zeros:
        // the transport writes them at egress.
        #expect(hexString(sent[0]) == hexString(hex("""
            90 e0 ff ff 00 00 23 28 11 11 11 11 be de 00 03 10 76 22 00 00 00 31 00 00 00 00 00 51 aa bb
            """)))
        // Egress at 1.5 s: abs-send-time 0x060000, transport seq 0.
        var stamper = RTPEgressStamper()
        sent[0].withUnsafeMutableBytes { _ = stamper.stamp($0, transportSequenceNumberID: 3, absSendTimeID: 2, at: .milliseconds(1500)) }
        #expect(hexString(sent[0]) == hexString(hex("""
            90 e0 ff ff 00 00 23 28 11 11 11 11 be de 00 03 10 76 22 06 00 00 31 00 00 00 00 00 51 aa bb
            """)))
        let nack = try RTCPPacket.serialize([.genericNACK(RTCPGenericNACK(
            senderSSRC: 0x3333_3333, mediaSSRC: 0x1111_1111, lostSequenceNumbers: [0xFFFF]))])
        var rtx: [[UInt8]] = []
        let feedback = try nack.withUnsafeBytes { raw in
            try sender.handleRTCP(raw, at: .milliseconds(1750)) { rtx.append(Array($0)) }
        }
        #expect(feedback.retransmittedPackets == 1)
        // RFC 4588: RTX SSRC and PT, own sequence number 500, same timestamp and marker,
        // OSN 0xFFFF before the original payload; fresh abs-send-time and transport seq
        // slots, filled at egress (1.75 s = 0x070000, the transport's next seq 1).
        #expect(hexString(rtx[0]) == hexString(hex("""
            90 e1 01 f4 00 00 23 28 22 22 22 22 be de 00 03 10 76 22 00 00 00 31 00 00 00 00 00 ff ff 51 aa bb
            """)))
        rtx[0].withUnsafeMutableBytes { _ = stamper.stamp($0, transportSequenceNumberID: 3, absSendTimeID: 2, at: .milliseconds(1750)) }
        #expect(hexString(rtx[0]) == hexString(hex("""
            90 e1 01 f4 00 00 23 28 22 22 22 22 be de 00 03 10 76 22 07 00 00 31 00 01 00 00 00 ff ff 51 aa bb
            """)))
        #expect(sender.statistics.retransmittedPacketsSent == 1 && sender.statistics.nackCount == 1)
        // A packet never sent is not retransmitted.
        let unknown = try RTCPPacket.serialize([.genericNACK(RTCPGenericNACK(
            senderSSRC: 1, mediaSSRC: 0x1111_1111, lostSequenceNumbers: [1234]))])
        let f2 = try unknown.withUnsafeBytes { raw in try sender.handleRTCP(raw, at: .seconds(2)) { _ in Issue.record("sent") } }
        #expect(f2.unavailablePackets == 1)
    }

    @Test func historyForgetsOldPackets() throws {
        var sender = RTPSendStream(configuration: RTPSendStreamConfiguration(
            ssrc: 1, payloadType: 96, clockRate: 90_000, rtxSSRC: 2, rtxPayloadType: 97, historyCapacity: 512))
        for i in 0..<600 {
            try [UInt8(i & 0xFF)].withUnsafeBytes { p in
                try sender.send(payload: p, timestamp: 0, marker: true, at: .milliseconds(i)) { _ in }
            }
        }
        var count = 0
        let emit: (UnsafeRawBufferPointer) -> Void = { _ in count += 1 }
        // 0...87 were overwritten by 512...599; 100 is held; 599 is held.
        _ = try sender.handleRTCP([.genericNACK(.init(senderSSRC: 9, mediaSSRC: 1, lostSequenceNumbers: [5, 100, 599]))], at: .milliseconds(600), emit: emit)
        #expect(count == 2)
        // Older than maxAge (1 s) is not answered.
        _ = try sender.handleRTCP([.genericNACK(.init(senderSSRC: 9, mediaSSRC: 1, lostSequenceNumbers: [100]))], at: .milliseconds(1200), emit: emit)
        #expect(count == 2)
    }

    @Test func pliAndFIRRaiseKeyframeRequests() throws {
        let requests = Mutex<[KeyframeRequestReason]>([])
        var sender = RTPSendStream(configuration: Self.senderConfig)
        sender.onKeyframeRequest = { reason in requests.withLock { $0.append(reason) } }
        let pli = try sender.handleRTCP([.pictureLossIndication(.init(senderSSRC: 3, mediaSSRC: 0x1111_1111))], at: .zero) { _ in }
        #expect(pli.keyframeRequest == .pictureLossIndication)
        // PLI for another SSRC is ignored.
        _ = try sender.handleRTCP([.pictureLossIndication(.init(senderSSRC: 3, mediaSSRC: 5))], at: .zero) { _ in }
        let fir = RTCPPacket.fullIntraRequest(.init(senderSSRC: 3, entries: [.init(ssrc: 0x1111_1111, sequenceNumber: 1)]))
        _ = try sender.handleRTCP([fir], at: .zero) { _ in }
        _ = try sender.handleRTCP([fir], at: .zero) { _ in }  // same FIR seq nr: a repeat, not a new request
        #expect(requests.withLock { $0 } == [.pictureLossIndication, .fullIntraRequest])
        #expect(sender.statistics.pliCount == 1 && sender.statistics.firCount == 1)
    }

    @Test func receiverNACKsAndUnwrapsRTX() throws {
        var sender = RTPSendStream(configuration: Self.senderConfig, initialSequenceNumber: 65533)
        var packetizer = VP8Packetizer(maxPayloadSize: 100)
        var frame = [UInt8](repeating: 7, count: 350)
        frame[0] = 0x50
        let packets = try sendFrame(&sender, &packetizer, frame, ts: 3000, at: .zero)
        #expect(packets.count == 4)  // seq 65533, 65534, 65535, 0
        var receiver = RTPReceiveStream<VP8Depacketizer>(configuration: Self.receiverConfig)
        var frames: [(RTPAssembledFrame, [UInt8])] = []
        let onFrame: (RTPAssembledFrame, UnsafeRawBufferPointer) -> Void = { f, b in frames.append((f, Array(b))) }
        for i in [0, 1, 3] {
            try packets[i].withUnsafeBytes { raw in try receiver.receive(raw, at: .milliseconds(10 + i), onFrame: onFrame) }
        }
        #expect(frames.isEmpty)
        var rtcp: [[UInt8]] = []
        receiver.poll(at: .milliseconds(20), onFrame: onFrame) { rtcp.append(Array($0)) }
        // First poll: RR + SDES + XR RRTR (report due); the gap seen at 13 ms is still within
        // the 10 ms reordering delay, so no NACK yet.
        let report = try RTCPPacket.parseCompound(rtcp[0])
        #expect(report.count == 3)
        guard case .extendedReport = report[2] else { Issue.record("no XR"); return }
        guard case .receiverReport(let rr) = report[0] else { Issue.record("no RR"); return }
        #expect(rr.reportBlocks[0].cumulativeLost == 1 && rr.reportBlocks[0].fractionLost == 64)
        rtcp.removeAll()
        receiver.poll(at: .milliseconds(30), onFrame: onFrame) { rtcp.append(Array($0)) }
        // Second poll: the NACK alone (reduced-size RTCP, RFC 5506).
        let parsed = try RTCPPacket.parseCompound(rtcp[0])
        #expect(parsed == [.genericNACK(RTCPGenericNACK(senderSSRC: 0x3333_3333, mediaSSRC: 0x1111_1111, entries: [.init(packetID: 65535, bitmaskOfLostPackets: 0)]))])
        // Not NACKed again before the retry interval (RTT 100 ms initially).
        rtcp.removeAll()
        receiver.poll(at: .milliseconds(60), onFrame: onFrame) { rtcp.append(Array($0)) }
        #expect(rtcp.isEmpty)

        var rtx: [[UInt8]] = []
        _ = try rtcp0(parsed[0]).withUnsafeBytes { raw in try sender.handleRTCP(raw, at: .milliseconds(70)) { rtx.append(Array($0)) } }
        #expect(rtx.count == 1)
        try rtx[0].withUnsafeBytes { raw in try receiver.receive(raw, at: .milliseconds(130), onFrame: onFrame) }
        #expect(frames.count == 1)
        #expect(frames[0].1 == frame && frames[0].0.isKeyframe && frames[0].0.isDecodable)
        #expect(frames[0].0.firstSequenceNumber == 65533 && frames[0].0.lastSequenceNumber == 65536)
        let stats = receiver.statistics
        #expect(stats.packetsReceived == 4 && stats.packetsLost == 0 && stats.nackCount == 1)
        #expect(stats.retransmittedPacketsReceived == 1 && stats.framesReceived == 1 && stats.keyFramesReceived == 1)
        // RTT sample from NACK (30 ms) to RTX (130 ms): 100 ms, so the estimate stays 100 ms.
        #expect(receiver.roundTripTime == .milliseconds(100))
        // A duplicate is discarded.
        try packets[0].withUnsafeBytes { raw in try receiver.receive(raw, at: .milliseconds(140), onFrame: onFrame) }
        #expect(receiver.statistics.packetsDiscarded == 1 && frames.count == 1)
    }

    func rtcp0(_ packet: RTCPPacket) throws -> [UInt8] { try RTCPPacket.serialize([packet]) }

    @Test func givesUpAndSendsPLIThenRecoversOnKeyframe() throws {
        var sender = RTPSendStream(configuration: Self.senderConfig)
        var packetizer = VP8Packetizer(maxPayloadSize: 100)
        var config = Self.receiverConfig
        config.maxWait = .milliseconds(300)
        config.startupDelay = .zero
        var receiver = RTPReceiveStream<VP8Depacketizer>(configuration: config)
        var frames: [RTPAssembledFrame] = []
        let onFrame: (RTPAssembledFrame, UnsafeRawBufferPointer) -> Void = { f, _ in frames.append(f) }
        var all: [[UInt8]] = []
        all += try sendFrame(&sender, &packetizer, [0x50] + [UInt8](repeating: 1, count: 150), ts: 0, at: .zero)  // key: 2 packets
        all += try sendFrame(&sender, &packetizer, [0x51] + [UInt8](repeating: 2, count: 150), ts: 3000, at: .zero)  // delta: 2 packets, lose #2
        all += try sendFrame(&sender, &packetizer, [0x51] + [UInt8](repeating: 3, count: 150), ts: 6000, at: .zero)  // delta: 2 packets
        for (i, p) in all.enumerated() where i != 2 {
            try p.withUnsafeBytes { raw in try receiver.receive(raw, at: .milliseconds(i), onFrame: onFrame) }
        }
        #expect(frames.count == 1)
        var rtcp: [RTCPPacket] = []
        var t = Duration.milliseconds(10)
        while t < .milliseconds(400) {
            receiver.poll(at: t, onFrame: onFrame) { rtcp += (try? RTCPPacket.parseCompound(Array($0))) ?? [] }
            t += .milliseconds(10)
        }
        // The frame was given up; the next delta frame is handed on but not decodable.
        #expect(frames.count == 2 && frames[1].timestamp == 6000 && !frames[1].isDecodable)
        #expect(receiver.statistics.framesDropped == 1)
        #expect(rtcp.contains(.pictureLossIndication(.init(senderSSRC: 0x3333_3333, mediaSSRC: 0x1111_1111))))
        #expect(receiver.statistics.pliCount == 1)
        let nacks = rtcp.filter { if case .genericNACK = $0 { true } else { false } }.count
        #expect(nacks >= 2)  // retried every ~110 ms until given up at 300 ms
        // A keyframe ends the wait: decodable again, no more PLIs.
        let key = try sendFrame(&sender, &packetizer, [0x50] + [UInt8](repeating: 4, count: 50), ts: 9000, at: t)
        try key[0].withUnsafeBytes { raw in try receiver.receive(raw, at: t, onFrame: onFrame) }
        #expect(frames.last?.isKeyframe == true && frames.last?.isDecodable == true)
    }

    @Test func startupToleratesReorderedFirstFrame() throws {
        var sender = RTPSendStream(configuration: Self.senderConfig)
        var packetizer = VP8Packetizer(maxPayloadSize: 100)
        let frame = [0x50] + [UInt8](repeating: 9, count: 400)
        let packets = try sendFrame(&sender, &packetizer, frame, ts: 0, at: .zero)
        var receiver = RTPReceiveStream<VP8Depacketizer>(configuration: Self.receiverConfig)
        var frames: [[UInt8]] = []
        for (i, p) in packets.reversed().enumerated() {
            try p.withUnsafeBytes { raw in try receiver.receive(raw, at: .milliseconds(i)) { _, b in frames.append(Array(b)) } }
        }
        #expect(frames.isEmpty)  // held for the startup delay
        receiver.poll(at: .milliseconds(40), onFrame: { _, b in frames.append(Array(b)) }, sendRTCP: { _ in })
        #expect(frames == [frame])
        #expect(receiver.statistics.packetsReceived == Int64(packets.count) && receiver.statistics.pliCount == 0)
    }

    @Test func receiverReportFieldsAndRoundTripTime() throws {
        var sender = RTPSendStream(configuration: Self.senderConfig)
        var receiver = RTPReceiveStream<OpusDepacketizer>(configuration: RTPReceiveStreamConfiguration(
            ssrc: 0x1111_1111, payloadType: 96, clockRate: 90_000, localSSRC: 0x3333_3333))
        var packets: [[UInt8]] = []
        for i in 0..<10 {
            try [0xFC, UInt8(i)].withUnsafeBytes { p in
                // 20 ms apart in both RTP time and arrival: transit constant, jitter 0.
                try sender.send(payload: p, timestamp: UInt32(i * 1800), marker: false, at: .milliseconds(20 * i)) { packets.append(Array($0)) }
            }
        }
        var frames = 0
        for (i, p) in packets.enumerated() where i != 3 {
            try p.withUnsafeBytes { raw in try receiver.receive(raw, at: .milliseconds(20 * i + 50)) { _, _ in frames += 1 } }
        }
        var sr: [UInt8] = []
        let ntp = NTPTime.timestamp(.seconds(3_900_000_000))
        try sender.makeSenderReport(ntpTime: ntp, at: .milliseconds(200)) { sr = Array($0) }
        let srPackets = try RTCPPacket.parseCompound(sr)
        #expect(srPackets.count == 2)  // SR + SDES CNAME
        receiver.handleRTCP(srPackets, at: .milliseconds(250))
        var rr: [UInt8] = []
        receiver.poll(at: .milliseconds(400), onFrame: { _, _ in frames += 1 }) { rr = Array($0) }
        // Opus: each packet is a frame; the lost one is skipped after maxWait (1 s) only.
        #expect(frames == 3)
        guard case .receiverReport(let report) = try RTCPPacket.parseCompound(rr).first else { Issue.record("no RR"); return }
        let block = report.reportBlocks[0]
        #expect(block.ssrc == 0x1111_1111 && block.cumulativeLost == 1 && block.fractionLost == 25)  // 1/10 · 256
        #expect(block.extendedHighestSequenceNumber == 9 && block.jitter == 0)
        #expect(block.lastSenderReport == NTPTime.compact(ntp))
        #expect(block.delaySinceLastSenderReport == 9830)  // 150 ms · 65536
        _ = try sender.handleRTCP(try RTCPPacket.parseCompound(rr), at: .milliseconds(450)) { _ in }
        // 450 - 200 - 150 = 100 ms.
        let rtt = try #require(sender.remoteStatistics.roundTripTime)
        #expect(abs(rtt - 0.1) < 0.001)
        #expect(sender.remoteStatistics.packetsLost == 1)

        // XR: the receiver's RRTR came with the RR; the sender's next SR carries a DLRR
        // and the receiver derives the RTT: RRTR sent at 400 ms, reached the sender at 450 ms,
        // held 100 ms until the SR at 550 ms, which arrives at 650 ms: 650 - 400 - 100 = 150 ms.
        try sender.makeSenderReport(ntpTime: ntp, at: .milliseconds(550)) { sr = Array($0) }
        let withDLRR = try RTCPPacket.parseCompound(sr)
        guard case .extendedReport(let xr) = withDLRR.last, case .dlrr(let subs) = xr.blocks.first else {
            Issue.record("no DLRR"); return
        }
        #expect(subs[0].ssrc == 0x3333_3333 && subs[0].delaySinceLastReceiverReport == 6553)
        receiver.handleRTCP(withDLRR, at: .milliseconds(650))
        // The estimate moves halfway from the initial 100 ms to the 150 ms measured.
        #expect(abs((receiver.roundTripTime - .milliseconds(125)) / .milliseconds(1)) < 0.1)
    }

    @Test func jitterEstimate() {
        // RFC 3550 §A.8 with transit alternating by 900 units: J converges to 900.
        var stats = RTPReceiveStatistics(clockRate: 90_000)
        for i in 0..<400 {
            let extra: Duration = i % 2 == 0 ? .zero : .milliseconds(10)
            stats.packetReceived(extendedSequenceNumber: Int64(i), timestamp: UInt32(i * 3000),
                                 arrival: .nanoseconds(Int64(i) * 33_333_333) + extra, isRetransmission: false)
        }
        #expect(abs(stats.jitter - 900) < 5)
        #expect(stats.cumulativeLost == 0)
    }

    @Test func garbageIntoReceiverNeverTraps() throws {
        var receiver = RTPReceiveStream<VP8Depacketizer>(configuration: Self.receiverConfig)
        var random = TestRandom(state: 99)
        var t = Duration.zero
        for _ in 0..<20_000 {
            var bytes = random.bytes(12 + random.below(40))
            bytes[0] = 0x80 | (bytes[0] & 0x1F)
            bytes[1] = random.below(2) == 0 ? 96 : 97
            if random.below(2) == 0 { bytes.replaceSubrange(8..<12, with: random.below(2) == 0 ? [0x11, 0x11, 0x11, 0x11] : [0x22, 0x22, 0x22, 0x22]) }
            t += .milliseconds(1)
            try? bytes.withUnsafeBytes { raw in try receiver.receive(raw, at: t) { _, _ in } }
            if random.below(10) == 0 { receiver.poll(at: t, onFrame: { _, _ in }, sendRTCP: { _ in }) }
        }
        #expect(receiver.statistics.packetsReceived > 0)
    }

    /// The ring lends payload buffers only to packets that wait for their frame: 40 s of
    /// 4-packet frames, in order and with a packet lost for good now and then, use a handful
    /// of buffers, all back once their frames are handed on or given up (one per slot of the
    /// 1024-slot ring kept 1.5 MB of a 480p stream alive).
    @Test func payloadBuffersFollowWhatWaits() throws {
        var sender = RTPSendStream(configuration: Self.senderConfig)
        var packetizer = VP8Packetizer()
        var config = Self.receiverConfig
        config.nackEnabled = false
        var receiver = RTPReceiveStream<VP8Depacketizer>(configuration: config)
        let frame = [0x51] + [UInt8](repeating: 3, count: 3999)
        var frames = 0
        var mostLent = 0
        for n in 0..<1200 {
            let now = Duration.milliseconds(33 * n)
            let packets = try sendFrame(&sender, &packetizer, frame, ts: UInt32(n * 3000), at: now)
            for (k, packet) in packets.enumerated() where !(n % 50 == 7 && k == 2) {
                try packet.withUnsafeBytes { try receiver.receive($0, at: now) { _, _ in frames += 1 } }
                mostLent = max(mostLent, receiver.payloadBuffers.lent)
            }
            receiver.poll(at: now, onFrame: { _, _ in frames += 1 }, sendRTCP: { _ in })
        }
        receiver.poll(at: .seconds(60), onFrame: { _, _ in frames += 1 }, sendRTCP: { _ in })
        print("receive stream: \(frames) frames, at most \(mostLent) payload buffers lent, \(receiver.payloadBuffers.all) made")
        #expect(frames >= 1100, "the stream plays: \(frames) frames")
        #expect(receiver.statistics.framesDropped >= 20, "the lost packets cost their frames")
        #expect(receiver.payloadBuffers.all <= 32, "buffers for what waits, not for the ring: \(receiver.payloadBuffers.all)")
        #expect(receiver.payloadBuffers.lent == 0, "all back once nothing waits: \(receiver.payloadBuffers.lent) lent")
    }
}
