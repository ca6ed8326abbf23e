import LinuxCapture
import MediaCodecs
import MediaPrimitives
@testable import PeerConnection
import Testing
import VirtualNetwork

#if canImport(Glibc)
import Glibc
#endif

/// The jitter buffer on a simulated clock: a sender of 20 ms Opus packets of a 440 Hz tone, a
/// network that delays, drops and reorders them, and an output that pulls a 10 ms block every
/// 10 ms.
@Suite struct AudioJitterBufferTests {
    static let frequency = 440.0

    /// Seconds of tone as Opus packets (mono, 20 ms, in-band FEC on).
    static func packets(seconds: Double) throws -> [[UInt8]] {
        let encoder = try OpusEncoder(configuration: OpusEncoderConfiguration(channelCount: 1))
        let frames = Int(seconds * 48000)
        let tone = ToneFrequency.sine(frequency: frequency, sampleRate: 48000, channelCount: 1, frames: frames)
        var out: [[UInt8]] = []
        for start in stride(from: 0, to: frames, by: 480) {
            let block = AudioFrame(sampleRate: 48000, channelCount: 1, samples: Array(tone[start..<min(frames, start + 480)]), timestamp: 0)
            out += try encoder.encode(block).map(\.data)
        }
        return out
    }

    /// A packet's fate on the network: its one-way delay, or nil when it is lost.
    typealias Network = (_ index: Int) -> Duration?

    struct Run {
        var output: [Int16] = []
        /// Per pull: the buffer level and target, seconds.
        var levels: [Double] = []
        var targets: [Double] = []
        /// Per pull: seconds from the emitted block's send time (its RTP timestamp) to the pull
        /// (NaN before playing).
        var playoutDelays: [Double] = []
        var firstPlayedBlock: Int?
        var statistics = AudioPlayoutStatistics()
        var lost = 0
    }

    /// RTP timestamps start near the 32-bit wrap, so unwrapping is exercised too.
    static func run(_ packets: [[UInt8]], network: Network, pullsFrom start: Duration = .zero,
                    seconds: Double? = nil, configuration: AudioJitterBuffer.Configuration = .init(),
                    decoder: (any ConcealingAudioDecoder)? = nil) throws -> Run {
        var buffer = AudioJitterBuffer(decoder: try decoder ?? OpusDecoder(channelCount: 1), configuration: configuration)
        var arrivals: [(at: Duration, index: Int)] = []
        var run = Run()
        for i in packets.indices {
            guard let delay = network(i) else { run.lost += 1; continue }
            arrivals.append((.milliseconds(20 * i) + delay, i))
        }
        arrivals.sort { $0.at < $1.at }  // stable: equal times keep the order given
        var next = 0
        let end = Duration.milliseconds(Int64((seconds ?? Double(packets.count) * 0.02) * 1000))
        var now = start
        while now < end {
            while next < arrivals.count && arrivals[next].at <= now {
                let i = arrivals[next].index
                buffer.insert(packets[i], rtpTimestamp: 0xFFFF_0000 &+ UInt32(i * 960), at: arrivals[next].at)
                next += 1
            }
            let block = buffer.pull(at: now)
            if buffer.isPlaying && run.firstPlayedBlock == nil { run.firstPlayedBlock = run.output.count / 480 }
            run.output += block
            run.levels.append(Double(buffer.levelFrames) / 48000)
            run.targets.append(buffer.targetDelay)
            let sent = buffer.emittedTimestamp.map { Double($0 &- 0xFFFF_0000) / 48000 }
            run.playoutDelays.append(sent.map { AudioJitterBuffer.seconds(now) - $0 } ?? .nan)
            now += .milliseconds(10)
        }
        run.statistics = buffer.statistics
        return run
    }

    /// Deterministic noise for the network.
    struct Noise {
        var generator: SeededGenerator
        init(state: UInt64) { generator = SeededGenerator(seed: state) }
        /// 0..<1.
        mutating func next() -> Double { Double.random(in: 0..<1, using: &generator) }
    }

    /// The blocks after the decoder's start-up (its first few ms are its pre-roll).
    static func playedTone(_ run: Run) -> [Int16] {
        Array(run.output.dropFirst(((run.firstPlayedBlock ?? 0) + 2) * 480))
    }

    @Test("a clean stream comes out gapless, its tone in every block, within a bounded delay")
    func cleanStream() throws {
        let run = try Self.run(try Self.packets(seconds: 5), network: { _ in .milliseconds(40) })
        let s = run.statistics
        #expect(s.concealedSamples == 0)
        #expect(s.underrunBlocks == 0)
        #expect(s.packetsDiscardedLate == 0)
        let missing = ToneFrequency.blocksWithoutTone(Self.playedTone(run), frequency: Self.frequency)
        #expect(missing.isEmpty, "blocks without the tone: \(missing)")
        let meanDelay = s.jitterBufferDelay / Double(s.jitterBufferEmittedCount)
        #expect(meanDelay > 0 && meanDelay <= 0.06, "mean jitter buffer delay \(meanDelay) s")
        #expect(run.levels.dropFirst(50).allSatisfy { $0 <= 0.08 }, "max level \(run.levels.max() ?? 0)")
        #expect(s.jitterBufferEmittedCount == s.totalSamplesReceived)
        // The emitted block's timestamp maps back to its send time (what the A/V mapping
        // needs): the newest packet came 40 ms after it was sent (within a pull's 10 ms) and
        // ends 20 ms after its timestamp; the block starts the level plus itself before that.
        let offsets = zip(run.playoutDelays, run.levels).dropFirst(50).map { delay, level in delay - (0.04 - 0.02 + level + 0.01) }
        #expect(offsets.allSatisfy { $0 >= -0.001 && $0 <= 0.011 }, "capture to playout off by \(offsets.min() ?? 0)...\(offsets.max() ?? 0) s")
        #expect(abs(s.totalSamplesDuration - Double(s.jitterBufferEmittedCount) / 48000) < 1e-6)
        // 12000 peak: RMS 8485 of 32767.
        #expect(abs(s.audioLevel - 8485.0 / 32767) < 0.05, "audioLevel \(s.audioLevel)")
        #expect(s.totalAudioEnergy > 0)
    }

    @Test("5% loss and 30 ms of jitter: the concealment is counted and no underrun goes beyond the loss")
    func lossAndJitter() throws {
        var noise = Noise(state: 13)
        var fate: [Duration?] = []
        let packets = try Self.packets(seconds: 20)
        for _ in packets.indices {
            let lost = noise.next() < 0.05
            let jitter = noise.next() * 30
            fate.append(lost ? nil : .milliseconds(40) + .microseconds(Int64(jitter * 1000)))
        }
        let run = try Self.run(packets, network: { fate[$0] })
        let s = run.statistics
        let lostFrames = Int64(run.lost * 960)
        print("playout: lost \(run.lost) packets (\(lostFrames) samples); concealed \(s.concealedSamples) in \(s.concealmentEvents) events; fec \(s.fecSamples); underrun blocks \(s.underrunBlocks); late \(s.packetsDiscardedLate); target \(run.targets.last ?? 0) s; mean delay \(s.jitterBufferDelay / Double(s.jitterBufferEmittedCount)) s")
        #expect(run.lost > 20)
        #expect(s.concealedSamples >= lostFrames * 9 / 10, "concealed \(s.concealedSamples) of \(lostFrames) lost")
        #expect(s.concealedSamples <= lostFrames + 4 * 480, "concealed \(s.concealedSamples), lost \(lostFrames)")
        #expect(s.concealmentEvents >= 10)
        #expect(s.fecSamples > 0)
        // The target follows the jitter: above the clean 30 ms, near its 95th percentile + 30 ms.
        let target = run.targets.last ?? 0
        #expect(target > 0.045 && target < 0.08, "target \(target)")
    }

    @Test("reordering is undone: the played audio is every packet decoded in timestamp order")
    func reordering() throws {
        let packets = try Self.packets(seconds: 4)
        // What in-order decoding gives, packet after packet.
        let decoder = try OpusDecoder(channelCount: 1)
        var inOrder: [Int16] = []
        for p in packets { inOrder += try decoder.decode(p).samples }
        var noise = Noise(state: 3)
        // Each packet is held back 0-45 ms: neighbours overtake each other.
        let fate: [Duration] = packets.indices.map { _ in .milliseconds(30) + .microseconds(Int64(noise.next() * 45_000)) }
        var swaps = 0
        for i in 1..<packets.count where .milliseconds(20 * i) + fate[i] < .milliseconds(20 * (i - 1)) + fate[i - 1] { swaps += 1 }
        #expect(swaps > 20, "\(swaps) packets overtook the one before")

        // A target from the start above the reordering, and no stretching: then the output is
        // exactly the decoder's, packet after packet in timestamp order.
        var fixed = AudioJitterBuffer.Configuration()
        fixed.minimumTargetDelay = .milliseconds(80)
        fixed.accelerateMargin = .seconds(100)
        fixed.expandMargin = .seconds(100)
        let exact = try Self.run(packets, network: { fate[$0] }, configuration: fixed)
        #expect(exact.statistics.concealedSamples == 0)
        #expect(exact.statistics.packetsDiscardedLate == 0)
        let played = Array(exact.output.dropFirst((exact.firstPlayedBlock ?? 0) * 480))
        #expect(played.count > 48000 * 3)
        let same = played == Array(inOrder.prefix(played.count))
        #expect(same, "the played audio is not the in-order decoding")

        // Adaptive: the target grows to the reordering by waiting for the late packets (a few
        // blocks concealed at the start), and none is discarded.
        let adaptive = try Self.run(packets, network: { fate[$0] })
        #expect(adaptive.statistics.packetsDiscardedLate == 0)
        #expect(adaptive.statistics.concealedSamples <= 10 * 480, "concealed \(adaptive.statistics.concealedSamples)")
    }

    /// The stream's decoder, but with no use for FEC: a lost packet is concealed only.
    final class ConcealOnly: ConcealingAudioDecoder {
        let decoder: OpusDecoder
        init() throws { decoder = try OpusDecoder(channelCount: 1) }
        var channelCount: Int { 1 }
        func decodeFrame(_ payload: [UInt8], timestamp: UInt64) throws(CodecError) -> DecodedMedia { try decoder.decodeFrame(payload, timestamp: timestamp) }
        func decodeSamples(_ packet: [UInt8]) throws(CodecError) -> [Int16] { try decoder.decodeSamples(packet) }
        func conceal(frames: Int) throws(CodecError) -> [Int16] { try decoder.conceal(frames: frames) }
        func recover(frames: Int, from next: [UInt8]) throws(CodecError) -> [Int16] { try decoder.conceal(frames: frames) }
        static func frameCount(of packet: [UInt8]) -> Int? { OpusDecoder.frameCount(of: packet) }
    }

    @Test("a lost packet is rebuilt from the next packet's in-band FEC: closer to the original than concealment alone")
    func inBandFEC() throws {
        // SILK codes LBRR only for frames its VAD takes for speech (a steady tone is not):
        // harmonics of a wavering 140 Hz voice in 4 Hz syllables, at 32 kbit/s, 20 % loss planned.
        let encoder = try OpusEncoder(configuration: OpusEncoderConfiguration(channelCount: 1, bitrate: 32000, inbandFEC: true, packetLossPercent: 20))
        let frames = 48000 * 2
        let voice: [Int16] = (0..<frames).map { n in
            let t = Double(n) / 48000
            let envelope = 0.5 * (1 - cos(2 * Double.pi * 4 * t))
            let f0 = 140 + 20 * sin(2 * Double.pi * 3 * t)
            return Int16(envelope * (1...11).reduce(0.0) { $0 + sin(2 * Double.pi * f0 * Double($1) * t) / Double($1) } * 6000)
        }
        var packets: [[UInt8]] = []
        for start in stride(from: 0, to: frames, by: 480) {
            packets += try encoder.encode(AudioFrame(sampleRate: 48000, channelCount: 1, samples: Array(voice[start..<(start + 480)]), timestamp: 0)).map(\.data)
        }
        let lost = Set([30, 50, 70])
        // No stretching and a fixed target, so that the played audio lines up with in-order
        // decoding sample for sample.
        var fixed = AudioJitterBuffer.Configuration()
        fixed.minimumTargetDelay = .milliseconds(60)
        fixed.accelerateMargin = .seconds(100)
        fixed.expandMargin = .seconds(100)
        let network: Network = { lost.contains($0) ? nil : .milliseconds(40) }
        let reference = try OpusDecoder(channelCount: 1)
        var clean: [Int16] = []
        for p in packets { clean += try reference.decodeSamples(p) }
        func squaredError(_ decoder: any ConcealingAudioDecoder) throws -> (Double, AudioPlayoutStatistics) {
            let run = try Self.run(packets, network: network, configuration: fixed, decoder: decoder)
            let played = Array(run.output.dropFirst((run.firstPlayedBlock ?? 0) * 480))
            var e = 0.0
            for i in 0..<min(played.count, clean.count) { let d = Double(played[i]) - Double(clean[i]); e += d * d }
            return (e, run.statistics)
        }
        let (withFEC, stats) = try squaredError(try OpusDecoder(channelCount: 1))
        let (concealOnly, _) = try squaredError(try ConcealOnly())
        print("in-band FEC: squared error \(withFEC) with FEC, \(concealOnly) concealing only")
        #expect(stats.fecSamples == 3 * 960, "fecSamples \(stats.fecSamples)")
        #expect(stats.concealedSamples == 3 * 960)
        #expect(withFEC < concealOnly / 2, "FEC \(withFEC) vs PLC \(concealOnly)")
    }

    @Test("time-stretching brings an inflated delay back to the target within a few seconds, seamlessly")
    func accelerate() throws {
        // The output starts 500 ms after the packets: 500 ms are buffered at the first pull.
        let run = try Self.run(try Self.packets(seconds: 6), network: { _ in .milliseconds(40) }, pullsFrom: .milliseconds(500))
        let s = run.statistics
        #expect(run.levels.first ?? 0 > 0.4)
        // After 3 s (300 pulls): within 25 ms of the target.
        let late = zip(run.levels, run.targets).dropFirst(300)
        let worst = late.map { $0 - $1 }.max() ?? 1
        #expect(worst < 0.025, "level above target by \(worst) s after 3 s")
        #expect(s.removedSamplesForAcceleration > 48000 * 4 / 10, "removed \(s.removedSamplesForAcceleration)")
        #expect(s.concealedSamples == 0)
        let missing = ToneFrequency.blocksWithoutTone(Self.playedTone(run), frequency: Self.frequency)
        #expect(missing.isEmpty, "blocks without the tone: \(missing)")
    }

    @Test("a sender that restarts its RTP clock (timestamps far back, then far ahead) is followed, not discarded")
    func timestampJumps() throws {
        let packets = try Self.packets(seconds: 6)
        var buffer = AudioJitterBuffer(decoder: try OpusDecoder(channelCount: 1))
        var out: [Int16] = []
        var now = Duration.zero
        var next = 0
        while now < .seconds(6) {
            while next < packets.count && .milliseconds(20 * next + 40) <= now {
                // Seconds 2-4 a billion samples back, then 4-6 a billion ahead.
                let base: UInt32 = next < 100 ? 5_000_000 : next < 200 ? 5_000_000 &- 1_000_000_000 : 5_000_000 &+ 1_000_000_000
                buffer.insert(packets[next], rtpTimestamp: base &+ UInt32(next * 960), at: now)
                next += 1
            }
            out += buffer.pull(at: now)
            now += .milliseconds(10)
        }
        let s = buffer.statistics
        #expect(s.timestampJumps == 2)
        #expect(s.packetsDiscardedLate == 0)
        // Each restart costs at most the start-up wait; the rest is tone.
        let missing = ToneFrequency.blocksWithoutTone(Array(out.dropFirst(10 * 480)), frequency: Self.frequency)
        #expect(missing.count <= 12, "blocks without the tone: \(missing)")
    }

    @Test("a minimum delay (lip sync, jitterBufferTarget) is reached by expanding and let go by accelerating, the tone intact")
    func minimumDelay() throws {
        let packets = try Self.packets(seconds: 10)
        var buffer = AudioJitterBuffer(decoder: try OpusDecoder(channelCount: 1))
        var out: [Int16] = []
        var levels: [Double] = []
        var now = Duration.zero
        var next = 0
        while now < .seconds(10) {
            if now == .seconds(2) { buffer.minimumDelay = 0.15 }
            if now == .seconds(6) { buffer.minimumDelay = 0 }
            while next < packets.count && .milliseconds(20 * next + 40) <= now {
                buffer.insert(packets[next], rtpTimestamp: UInt32(next * 960), at: now)
                next += 1
            }
            out += buffer.pull(at: now)
            levels.append(Double(buffer.levelFrames) / 48000)
            now += .milliseconds(10)
        }
        // 3 s after each change (pulls 500-600 and 900-1000): near the new target.
        let raised = levels[500..<600].reduce(0, +) / 100, lowered = levels[900..<1000].reduce(0, +) / 100
        #expect(abs(raised - 0.15) < 0.025, "level \(raised) s with a 150 ms minimum")
        #expect(lowered < 0.06, "level \(lowered) s once the minimum is let go")
        #expect(buffer.statistics.insertedSamplesForDeceleration > 48000 / 10)
        #expect(buffer.statistics.removedSamplesForAcceleration > 48000 / 10)
        #expect(buffer.statistics.concealedSamples == 0)
        let missing = ToneFrequency.blocksWithoutTone(Array(out.dropFirst(10 * 480)), frequency: Self.frequency)
        #expect(missing.isEmpty, "blocks without the tone: \(missing)")
    }

    @Test("lip sync: a picture 120 ms behind the sound makes the sound wait about that much; a picture ahead lets it go")
    func lipSync() {
        var sync = LipSync()
        // The audio's delay follows its extra wait (the buffer expands to it within an update).
        let audioBase = 0.06
        for _ in 0..<12 { sync.update(audioDelay: audioBase + sync.audioExtraDelay, videoDelay: 0.18) }
        #expect(abs(sync.audioExtraDelay - 0.12) <= LipSync.deadband, "extra \(sync.audioExtraDelay)")
        #expect(sync.videoLag == 0)
        // The first steps are bounded: no jump of more than 80 ms at once.
        var fresh = LipSync()
        fresh.update(audioDelay: 0.06, videoDelay: 0.66)
        #expect(fresh.audioExtraDelay == LipSync.maximumStep)
        // Now the video is early: the wait goes, and what is left is the video's to wait.
        for _ in 0..<12 { sync.update(audioDelay: audioBase + sync.audioExtraDelay, videoDelay: 0.02) }
        #expect(sync.audioExtraDelay == 0)
        #expect(abs(sync.videoLag - 0.04) < 1e-9, "video lag \(sync.videoLag)")
        // Within the deadband nothing moves.
        var calm = LipSync()
        calm.update(audioDelay: 0.06, videoDelay: 0.075)
        #expect(calm.audioExtraDelay == 0)
    }

    @Test("jitter that starts mid-call raises the target and preemptive expansion fills up to it")
    func decelerate() throws {
        var noise = Noise(state: 7)
        let packets = try Self.packets(seconds: 8)
        let fate: [Duration] = packets.indices.map { i in
            i < 150 ? .milliseconds(40) : .milliseconds(40) + .microseconds(Int64(noise.next() * 60_000))
        }
        let run = try Self.run(packets, network: { fate[$0] })
        let s = run.statistics
        #expect(s.insertedSamplesForDeceleration > 0)
        #expect((run.targets.last ?? 0) > (run.targets[100]) + 0.02, "target \(run.targets[100]) -> \(run.targets.last ?? 0)")
    }
}
