import CallSimulation
import Foundation
import Synchronization
import Testing
import VirtualNetwork

/// What the peer's SDP and the user's options say the sender may do, followed in whole
/// simulated calls: `b=TIAS`/`b=AS` (RFC 8829 §5.10) and `--max-bitrate` cap the video,
/// Opus plans for the loss the receiver reports and sends FEC only to a decoder that uses it
/// (RFC 7587 §6.1), libvpx drops frames only on the adaptation's last rung.
@Suite(.serialized) struct RemoteBitrateLimitTests {
    static func link(_ steps: [(Double, String)]) throws -> LinkScenario {
        LinkScenario(steps: try steps.map { .init(at: .milliseconds(Int64($0.0 * 1000)), conditions: try LinkSpec(parsing: $0.1).conditions) })
    }

    /// `lines` right after the video section's `c=` line (RFC 8866 §5's order).
    static func addToVideo(_ lines: [String]) -> @Sendable (String) -> String {
        { sdp in
            var all = sdp.components(separatedBy: "\r\n")
            guard let m = all.firstIndex(where: { $0.hasPrefix("m=video") }),
                  let c = all[m...].firstIndex(where: { $0.hasPrefix("c=") }) else { return sdp }
            all.insert(contentsOf: lines, at: c + 1)
            return all.joined(separator: "\r\n")
        }
    }

    /// Mean video payload rate (retransmissions apart) over samples in (from, to] seconds.
    static func media(_ r: SimulatedCall.Report, from: Double, to: Double) -> Double {
        let s = r.samples.filter { $0.t > from && $0.t <= to }.map(\.mediaBps)
        return s.isEmpty ? 0 : s.reduce(0, +) / Double(s.count)
    }

    static func videoCall(_ seconds: Int) throws -> SimulatedCall.Configuration {
        var c = SimulatedCall.Configuration(forward: try link([(0, "5mbit,40ms")]), duration: .seconds(Int64(seconds)))
        c.constraints = #"{"video": {"width": 640, "height": 480}, "audio": true}"#
        return c
    }

    /// The receiver's `receiveBitrate` goes into its answer as b=TIAS (and b=AS), and the
    /// sender keeps the video payload under it on a link with room for much more.
    @Test func theReceiversLimitInItsAnswerCapsTheSender() async throws {
        var c = try Self.videoCall(12)
        c.receiveBitrate = 300_000
        let seenAnswer = Mutex<String>("")
        c.editAnswer = { sdp in seenAnswer.withLock { $0 = sdp }; return sdp }
        let r = try await SimulatedCall.run(c)
        #expect(seenAnswer.withLock { $0.contains("\r\nb=AS:332\r\nb=TIAS:300000\r\n") })
        let targets = r.samples.compactMap(\.targetBitrate)
        #expect(!targets.isEmpty && targets.allSatisfy { $0 <= 300_000 }, "max target \(targets.max() ?? 0)")
        let rate = Self.media(r, from: 4, to: 12)
        print("bitcap: receiveBitrate 300000: max targetBitrate \(Int(targets.max() ?? 0)), video payload \(Int(rate)) bit/s over 4-12 s")
        #expect(rate <= 330_000 && rate >= 200_000, "video payload \(Int(rate)) bit/s")
    }

    /// `--max-bitrate` and the peer's b=AS (converted as JSEP says: 300 kbit/s is 269 kbit/s
    /// of payload): the lower wins; with neither the 640x480 video goes far above both.
    @Test(arguments: [(600_000, 300, 269_000), (200_000, 1000, 200_000), (nil, nil, nil)] as [(Int?, Int?, Int?)])
    func theLowerOfMaxBitrateAndASWins(maxBitrate: Int?, asKbps: Int?, cap: Int?) async throws {
        var c = try Self.videoCall(12)
        c.maxBitrate = maxBitrate
        if let asKbps { c.editAnswer = Self.addToVideo(["b=AS:\(asKbps)"]) }
        let r = try await SimulatedCall.run(c)
        let targets = r.samples.compactMap(\.targetBitrate)
        let rate = Self.media(r, from: 4, to: 12)
        print("bitcap: maxBitrate \(maxBitrate.map(String.init) ?? "-") b=AS \(asKbps.map(String.init) ?? "-"): max targetBitrate \(Int(targets.max() ?? 0)), video payload \(Int(rate)) bit/s over 4-12 s, max availableOutgoingBitrate \(Int(r.samples.compactMap(\.availableOutgoingBitrate).max() ?? 0))")
        if let cap {
            #expect(!targets.isEmpty && targets.allSatisfy { $0 <= Double(cap) }, "max target \(targets.max() ?? 0), cap \(cap)")
            #expect(rate <= Double(cap) * 1.1 && rate >= Double(cap) * 0.6, "video payload \(Int(rate)) bit/s, cap \(cap)")
            // The estimator aims no higher either: its probes stop at the streams' caps on the
            // wire (the video's with its headers, 5 %, and Opus's 32 kbit/s in 80-byte
            // packets with 66 bytes of headers each: 58.4 kbit/s).
            let available = r.samples.compactMap(\.availableOutgoingBitrate).max() ?? 0
            #expect(available <= Double(cap) * 1.05 + 58_400 + 1, "availableOutgoingBitrate \(Int(available))")
        } else {
            #expect(rate >= 450_000, "uncapped video payload \(Int(rate)) bit/s")
        }
    }

    /// 10 % random loss: the receiver reports it, Opus plans for it (OPUS_SET_PACKET_LOSS_PERC),
    /// with FEC only when the answer's fmtp says `useinbandfec=1`; no loss, no plan.
    @Test(arguments: [("10%", true, 10), ("10%", false, 10), ("", true, 0)])
    func opusFollowsTheReportedLoss(loss: String, fecNegotiated: Bool, expected: Int) async throws {
        var c = SimulatedCall.Configuration(forward: try Self.link([(0, "2mbit,40ms" + (loss.isEmpty ? "" : "," + loss))]),
                                            duration: .seconds(12))
        c.constraints = #"{"audio": true}"#
        if !fecNegotiated {
            c.editAnswer = { $0.replacingOccurrences(of: ";useinbandfec=1", with: "").replacingOccurrences(of: "useinbandfec=1", with: "") }
        }
        let r = try await SimulatedCall.run(c)
        let first = try #require(r.samples.first), last = try #require(r.samples.last)
        #expect(first.opusPacketLossPerc == 0, "nothing reported yet")
        let percent = last.opusPacketLossPerc ?? -1
        print("bitcap: link loss \(loss.isEmpty ? "0%" : loss), fec \(fecNegotiated): opusPacketLossPerc over time \(r.samples.filter { $0.t.truncatingRemainder(dividingBy: 2) == 0 }.map { Int($0.opusPacketLossPerc ?? -1) })")
        #expect(abs(percent - Double(expected)) <= 3, "Opus plans for \(percent) %, the link loses \(expected) %")
        #expect(r.samples.allSatisfy { $0.opusInbandFec == fecNegotiated })
    }

    /// 640x480 on 2 Mbit/s, then 60 kbit/s: while rungs are left libvpx never drops frames;
    /// on the last rung it may. The track asks for at least 30 fps, so the ladder is sizes
    /// only and its smallest (about 320x240 at 30 fps) is more than the thin link carries.
    @Test func frameDroppingIsTheLastRung() async throws {
        var c = SimulatedCall.Configuration(forward: try Self.link([(0, "2mbit,50ms"), (8, "60kbit,50ms")]), duration: .seconds(20))
        c.constraints = #"{"video": {"width": 640, "height": 480, "frameRate": {"min": 30}}, "audio": true}"#
        let r = try await SimulatedCall.run(c)
        let early = r.samples.filter { $0.t < 7 }
        #expect(!early.isEmpty && early.allSatisfy { $0.encoderFrameDropping == false })
        let dropping = r.samples.filter { $0.encoderFrameDropping == true }
        print("bitcap: frame dropping from t=\(dropping.first?.t ?? -1) s at \(dropping.first?.frameWidth ?? 0)x\(dropping.first?.frameHeight ?? 0); \(dropping.count) of \(r.samples.count) samples")
        #expect(!dropping.isEmpty, "never reached the last rung: ends at \(r.samples.last?.frameWidth ?? 0)x\(r.samples.last?.frameHeight ?? 0)")
        let smallest = r.samples.compactMap { s in s.frameWidth.flatMap { w in s.frameHeight.map { w * $0 } } }.min() ?? 0
        for s in dropping {
            #expect((s.frameWidth ?? 0) * (s.frameHeight ?? 0) <= smallest * 2, "dropping at \(s.frameWidth ?? 0)x\(s.frameHeight ?? 0), t=\(s.t)")
        }
    }
}
