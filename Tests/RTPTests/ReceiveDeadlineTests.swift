import Testing
@testable import RTP

/// `RTPReceiveStream.nextDeadline`: a receiver polled only when it says something is due
/// sends the same NACKs and PLIs and hands on the same frames as one polled all the time, and
/// never names a due time its poll would not act on (a timer armed on it would spin).
@Suite struct ReceiveDeadlineTests {
    /// What a receiver did over a run: NACKed sequence numbers (with repeats), PLIs, RRs,
    /// the frames handed on (RTP timestamps) and how often it was polled.
    struct Outcome: Equatable {
        var nacked: [UInt16] = []
        var plis = 0
        var reports = 0
        var frames: [UInt32] = []
        var polls = 0
    }

    /// 6 s of 30 fps VP8, 3 packets a frame, through a link that loses some packets (some for
    /// good, some answered by RTX 60 ms after the NACK) and holds back others by a few ms.
    static func run(pollingEveryMillisecond: Bool) throws -> Outcome {
        var sender = RTPSendStream(configuration: StreamTests.senderConfig, initialSequenceNumber: 65000)
        var packetizer = VP8Packetizer(maxPayloadSize: 100)
        var receiver = RTPReceiveStream<VP8Depacketizer>(configuration: StreamTests.receiverConfig)
        var out = Outcome()
        // (arrival ms, packet) in arrival order.
        var arrivals: [(Int, [UInt8])] = []
        var sent: [UInt16: [UInt8]] = [:]
        var seed: UInt32 = 7
        func random() -> UInt32 { seed = seed &* 1_103_515_245 &+ 12345; return (seed >> 16) & 0x7FFF }
        for f in 0..<180 {
            var frame = [UInt8](repeating: UInt8(f & 0xFF), count: 280)
            frame[0] = f % 60 == 0 ? 0x50 : 0x51  // a keyframe every 2 s
            let at = f * 33
            var packets: [[UInt8]] = []
            try packetizer.packetize(frame) { payload, last in
                try sender.send(payload: payload, timestamp: UInt32(f * 3000), marker: last, at: .milliseconds(at)) { packets.append(Array($0)) }
            }
            for (i, p) in packets.enumerated() {
                let seq = UInt16(p[2]) << 8 | UInt16(p[3])
                sent[seq] = p
                let r = random() % 100
                if r < 4 { continue }  // lost; RTX may bring it
                arrivals.append((at + i + (r < 10 ? 7 : 0), p))
            }
        }
        arrivals.sort { $0.0 < $1.0 }
        let onFrame: (RTPAssembledFrame, UnsafeRawBufferPointer) -> Void = { f, _ in out.frames.append(f.timestamp) }
        var retransmissions: [(Int, [UInt8])] = []
        var next = 0
        var deadline: Duration?
        for ms in 0...6500 {
            let now = Duration.milliseconds(ms)
            var due: [[UInt8]] = []
            while next < arrivals.count, arrivals[next].0 <= ms { due.append(arrivals[next].1); next += 1 }
            retransmissions.removeAll { r in
                guard r.0 <= ms else { return false }
                due.append(r.1)
                return true
            }
            for p in due {
                try p.withUnsafeBytes { raw in try receiver.receive(raw, at: now, onFrame: onFrame) }
                deadline = receiver.nextDeadline(after: now)
            }
            guard pollingEveryMillisecond || (deadline.map { $0 <= now } ?? false) else { continue }
            out.polls += 1
            var rtcp: [UInt8] = []
            receiver.poll(at: now, onFrame: onFrame) { rtcp.append(contentsOf: $0) }
            deadline = receiver.nextDeadline(after: now)
            if let d = deadline { #expect(d > now, "due again at once after a poll at \(ms) ms: a timer would spin") }
            guard !rtcp.isEmpty else { continue }
            for packet in try RTCPPacket.parseCompound(rtcp) {
                switch packet {
                case .genericNACK(let nack):
                    out.nacked += nack.lostSequenceNumbers
                    // Every other NACKed packet is retransmitted (as itself: the test needs no RTX).
                    for seq in nack.lostSequenceNumbers where seq % 2 == 0 {
                        if let p = sent[seq] { retransmissions.append((ms + 60, p)) }
                    }
                case .pictureLossIndication: out.plis += 1
                case .receiverReport: out.reports += 1
                default: break
                }
            }
        }
        return out
    }

    @Test func pollingAtTheDeadlineDoesWhatATickDoesWithFewerPolls() throws {
        // Polled every millisecond: every decision at the first millisecond it can be made.
        let ticked = try Self.run(pollingEveryMillisecond: true)
        let driven = try Self.run(pollingEveryMillisecond: false)
        #expect(!ticked.nacked.isEmpty && ticked.plis > 0, "the run loses packets and frames")
        #expect(driven.nacked == ticked.nacked, "the same NACKs, in the same order")
        #expect(driven.plis == ticked.plis)
        #expect(driven.frames == ticked.frames, "the same frames handed on")
        #expect(driven.reports == ticked.reports)
        #expect(driven.polls * 5 < ticked.polls, "polled \(driven.polls) times against \(ticked.polls)")
    }
}
