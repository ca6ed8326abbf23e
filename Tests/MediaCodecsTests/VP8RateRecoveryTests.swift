import Foundation
import MediaCapture
import Testing
@testable import MediaCodecs

/// The thin-link mystery: after a loss episode (PLI storms forcing keyframes, the encoder
/// worker dropping frames) VP8's output stayed far below its unchanged target. Two causes,
/// both in how libvpx VP8's one-pass CBR rate control was fed:
/// - every forced keyframe above the average frame size adds to `kf_overspend_bits`, which
///   later inter frames repay down to a quarter of their share; a storm with a keyframe on
///   every frame held the output at 48 % of the target for 19 s after it ended;
/// - frame durations equal to the gap before each frame made libvpx see uneven intervals
///   (2·gap(n) − gap(n−1)) and overshoot by up to 2x while frames were dropped.
/// Measured at 320x180 (the same rate control as 720p, 16 times faster to encode) with the
/// 720p bits per pixel: 140 kbit/s at 30 fps, cpu-used -8.
@Suite struct VP8RateRecoveryTests {
    static let target = 140_000

    /// Bits per second of each second of a 30 fps run; `event(i)` drops frame i or asks for a
    /// keyframe before it.
    static func run(seconds: Int, width: Int = 320, height: Int = 180, target: Int = target,
                    event: (Int) -> (drop: Bool, key: Bool)) throws -> (rates: [Int], keys: [Int]) {
        var config = VP8EncoderConfiguration(width: width, height: height, frameRate: 30, targetBitrate: target)
        config.cpuUsed = -8
        let encoder = try VP8Encoder(configuration: config)
        let pattern = MovingPattern(width: width, height: height)
        var bytes = [Int](repeating: 0, count: seconds)
        var keys: [Int] = []
        for i in 0..<(seconds * 30) {
            let e = event(i)
            if e.drop { continue }
            if e.key { encoder.requestKeyframe() }
            for out in try encoder.encode(pattern.frame(i, timestamp: 1_000_000_000 + UInt64(i) * 33_333_333)) {
                bytes[i / 30] += out.data.count
                if out.isKeyframe { keys.append(i) }
            }
        }
        return (bytes.map { $0 * 8 }, keys)
    }

    static func mean(_ rates: [Int], _ seconds: Range<Int>) -> Double {
        Double(rates[seconds].reduce(0, +)) / Double(seconds.count)
    }

    /// 5 s steady, 10 s in which every frame asks for a keyframe, 15 s steady: the output is
    /// back within 15 % of the target 2 s after the storm (before the fix: 65-75 kbit/s,
    /// 48 % of the target, until 19 s after it).
    @Test func outputRecoversAfterAKeyframeStorm() throws {
        let (rates, keys) = try Self.run(seconds: 30) { i in (false, i >= 150 && i < 450) }
        print("keyframe storm, kbit/s per second: \(rates.map { $0 / 1000 })")
        let after = Self.mean(rates, 17..<30)
        #expect(abs(after / Double(Self.target) - 1) < 0.15, "after the storm: \(Int(after)) bit/s")
        let during = Self.mean(rates, 5..<15)
        #expect(during < 1.3 * Double(Self.target), "during the storm: \(Int(during)) bit/s")
        // Keyframes at most every 300 ms (9 frames at 30 fps), but the storm still gets them.
        let stormKeys = keys.filter { $0 >= 150 && $0 < 460 }
        #expect(zip(stormKeys.dropFirst(), stormKeys).allSatisfy { $0 - $1 >= 9 }, "keyframes at \(stormKeys)")
        #expect(stormKeys.count >= 30)
    }

    /// 40 % of the frames missing at random for 10 s (the worker dropping): the output stays
    /// near the target (before the fix: 195 kbit/s, +39 %; with real gaps as durations
    /// but no smoothing: 320 kbit/s) and is at the target after.
    @Test func outputFollowsTheTargetWhileFramesAreDropped() throws {
        let (rates, _) = try Self.run(seconds: 25) { i in (i >= 150 && i < 450 && (i * 7919) % 10 < 4, false) }
        print("random drops, kbit/s per second: \(rates.map { $0 / 1000 })")
        let during = Self.mean(rates, 7..<15)
        #expect(abs(during / Double(Self.target) - 1) < 0.15, "while dropping: \(Int(during)) bit/s")
        let after = Self.mean(rates, 17..<25)
        #expect(abs(after / Double(Self.target) - 1) < 0.15, "after: \(Int(after)) bit/s")
    }

    /// The setup where the bug was seen, 1280x720@30 at 2.2 Mbit/s: 10 s steady, 20 s of PLI storm
    /// (every frame asks for a keyframe; every third frame dropped in the second variant),
    /// 30 s steady. Before the fix the first variant fell to 270-300 kbit/s (13 % of the
    /// target) for 22 s. Minutes of encoding on a loaded 2-core machine: only with
    /// TINCAN_SLOW_TESTS=1.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TINCAN_SLOW_TESTS"] != nil), arguments: [false, true])
    func recoveryAt720p(dropping: Bool) throws {
        let (rates, _) = try Self.run(seconds: 60, width: 1280, height: 720, target: 2_200_000) { i in
            let storm = i >= 300 && i < 900
            return (storm && dropping && i % 3 == 0, storm)
        }
        print("720p storm (dropping: \(dropping)), kbit/s per second: \(rates.map { $0 / 1000 })")
        let after = Self.mean(rates, 33..<60)
        #expect(abs(after / 2_200_000 - 1) < 0.15, "after the storm: \(Int(after)) bit/s")
    }

    /// The adaptation's path through a capacity step: 640x360@30, then 480x270@20, 160x90@20
    /// with frame dropping at 8-35 kbit/s, then 640x360@30 again at the old target. libvpx
    /// keeps its rate control across `setSize` (smaller sizes by vpx_codec_enc_config_set):
    /// the output is back at the target (measured 390-428 kbit/s of 400 from 2 s after).
    @Test func outputRecoversAfterTheSizeComesBack() throws {
        var config = VP8EncoderConfiguration(width: 640, height: 360, frameRate: 30, targetBitrate: 400_000)
        config.cpuUsed = -8
        let encoder = try VP8Encoder(configuration: config)
        var patterns: [Int: MovingPattern] = [:]
        var bytes = [Int](repeating: 0, count: 24)
        var t: UInt64 = 1_000_000_000
        var i = 0
        func second(_ s: Int, _ w: Int, _ h: Int, fps: Int, bitrate: Int) throws {
            try encoder.setTargetBitrate(bitrate)
            let pattern = patterns[w] ?? MovingPattern(width: w, height: h)
            patterns[w] = pattern
            for _ in 0..<fps {
                t += UInt64(1_000_000_000 / fps)
                i += 1
                for out in try encoder.encode(pattern.frame(i, timestamp: t)) { bytes[s] += out.data.count * 8 }
            }
        }
        for s in 0..<6 { try second(s, 640, 360, fps: 30, bitrate: 400_000) }
        try second(6, 480, 270, fps: 20, bitrate: 150_000)
        try encoder.setFrameDropping(true)
        for s in 7..<12 { try second(s, 160, 90, fps: 20, bitrate: s < 9 ? 8_000 : 35_000) }
        try encoder.setFrameDropping(false)
        for s in 12..<24 { try second(s, 640, 360, fps: 30, bitrate: 400_000) }
        print("size down and back, kbit/s per second: \(bytes.map { $0 / 1000 })")
        let after = Self.mean(bytes, 14..<24)
        #expect(abs(after / 400_000 - 1) < 0.15, "after the size came back: \(Int(after)) bit/s")
    }

    /// A request that comes too soon after a keyframe is served later, not lost.
    @Test func earlyKeyframeRequestIsDeferredNotLost() throws {
        let encoder = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 160, height: 120))
        let pattern = MovingPattern(width: 160, height: 120)
        var keys: [Int] = []
        for i in 0..<20 {
            if i == 3 || i == 4 { encoder.requestKeyframe() }
            for e in try encoder.encode(pattern.frame(i, timestamp: UInt64(i) * 33_333_333)) where e.isKeyframe { keys.append(i) }
        }
        #expect(keys == [0, 10], "keyframes at \(keys)")  // frame 10 is the first 300 ms after 0
        #expect(encoder.keyframeRequestsCoalesced == 1)
    }

    @Test func frameRateEstimatorFollowsTheRealRate() {
        var estimator = FrameRateEstimator(initial: 30)
        #expect(estimator.add(0) == 30)
        for i in 1...40 { estimator.add(UInt64(i) * 100_000_000) }
        #expect(abs(estimator.framesPerSecond - 10) < 0.01)
        for i in 1...90 { estimator.add(4_000_000_000 + UInt64(i) * 33_333_333) }
        #expect(abs(estimator.framesPerSecond - 30) < 0.5)
        // A frame alone after a stall keeps the estimate.
        let before = estimator.framesPerSecond
        estimator.add(20_000_000_000)
        #expect(estimator.framesPerSecond == before)
    }
}
