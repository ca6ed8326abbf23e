import MediaCapture
import Testing
@testable import MediaCodecs

@Suite struct VideoAdaptationTests {
    static let second: UInt64 = 1_000_000_000
    static let hd = VideoAdaptationBounds(captureWidth: 1280, captureHeight: 720, captureFrameRate: 30)

    /// Runs `seconds` of 30 fps frames at `bitrate`, each taking `encodeTime`; returns the
    /// decision at the end.
    @discardableResult
    static func run(_ a: inout VideoAdaptation, from start: UInt64, seconds: Double, bitrate: Int?,
                    encodeTime: ((VideoAdaptation.Decision) -> UInt64)? = nil) -> UInt64 {
        var now = start
        if let bitrate { _ = a.setTargetBitrate(bitrate, now: now) }
        let end = start + UInt64(seconds * 1e9)
        while now < end {
            now += 33_333_333
            if let encodeTime { _ = a.frameEncoded(encodeTime: encodeTime(a.decision), now: now) } else { _ = a.update(now: now) }
        }
        return now
    }

    @Test func laddersFollowThePreference() {
        let balanced = VideoAdaptationLadder.rungs(bounds: Self.hd, preference: .balanced)
        #expect(balanced.map(\.description) == [
            "1280x720@30", "960x540@30", "640x360@30", "480x270@30", "320x180@30",
            "320x180@20", "320x180@13.33", "320x180@8.89", "320x180@5.93", "320x180@5", "320x180@5+drop",
        ])
        let fps = VideoAdaptationLadder.rungs(bounds: Self.hd, preference: .maintainFramerate)
        #expect(fps.map(\.description) == ["1280x720@30", "960x540@30", "640x360@30", "480x270@30", "320x180@30", "320x180@30+drop"])
        var bounded = Self.hd
        bounded.minFrameRate = 10
        bounded.maxFrameRate = 24
        let res = VideoAdaptationLadder.rungs(bounds: bounded, preference: .maintainResolution)
        #expect(res.map(\.description) == ["1280x720@24", "1280x720@16", "1280x720@10.67", "1280x720@10", "1280x720@10+drop"])
    }

    @Test func balancedGoesTowardsIdealThenSizeThenMinAndNeverPastTheBounds() {
        var b = Self.hd
        b.idealFrameRate = 24
        b.minFrameRate = 15
        b.maxFrameRate = 30
        b.minWidth = 640
        b.minHeight = 360
        let rungs = VideoAdaptationLadder.rungs(bounds: b, preference: .balanced)
        #expect(rungs.map(\.description) == [
            "1280x720@30", "1280x720@24", "960x540@24", "640x360@24", "640x360@16", "640x360@15", "640x360@15+drop",
        ])
        #expect(rungs.allSatisfy { $0.frameRate <= 30 && $0.frameRate >= 15 && $0.width >= 640 && $0.height >= 360 })
        #expect(rungs.allSatisfy { $0.width % 2 == 0 && $0.height % 2 == 0 })
        // Even a target far too low for all of them stays inside the bounds.
        var a = VideoAdaptation(bounds: b, now: 0)
        Self.run(&a, from: 0, seconds: 30, bitrate: 50_000)
        #expect(a.decision.rung.description == "640x360@15+drop")
        #expect(a.decision.reason == .bandwidth)
    }

    /// 720p30 at 2.2 Mbit/s is carried; at 1 Mbit/s balanced (no ideal frame rate) goes to
    /// 960x540@30; at 600 kbit/s to 640x360@30; back at 2.2 Mbit/s it climbs back after the
    /// stable time, and the durations add up.
    @Test func bandwidthDegradesAndRecoversWithHysteresis() {
        var a = VideoAdaptation(bounds: Self.hd, now: 0)
        var now = Self.run(&a, from: 0, seconds: 5, bitrate: 2_200_000)
        #expect(a.decision.rung.description == "1280x720@30")
        #expect(a.decision.reason == QualityLimitationReason.none)
        now = Self.run(&a, from: now, seconds: 5, bitrate: 1_000_000)
        #expect(a.decision.rung.description == "960x540@30")
        #expect(a.decision.reason == .bandwidth)
        now = Self.run(&a, from: now, seconds: 5, bitrate: 600_000)
        #expect(a.decision.rung.description == "640x360@30")
        // 800 kbit/s carries 960x540@30 (0.0514) but not with the hysteresis (0.0525): stays.
        now = Self.run(&a, from: now, seconds: 10, bitrate: 800_000)
        #expect(a.decision.rung.description == "640x360@30")
        // Back to 2.2 Mbit/s: not before the stable time, then up to the top.
        now = Self.run(&a, from: now, seconds: 3, bitrate: 2_200_000)
        #expect(a.decision.rung.description == "640x360@30")
        now = Self.run(&a, from: now, seconds: 10, bitrate: nil)
        #expect(a.decision.rung.description == "1280x720@30")
        #expect(a.decision.reason == QualityLimitationReason.none)
        #expect(a.resolutionChanges == 3)
        let d = a.qualityLimitationDurations(now: now)
        let total = d.values.reduce(0, +)
        #expect(abs(total - Double(now) / 1e9) < 0.001)
        #expect((20...30).contains(d[.bandwidth] ?? 0), "\(d)")
    }

    /// A real call's sender feeds the loop's time (new targets) and frames' capture times
    /// (the capture thread, a little behind): an earlier time after a later one must neither
    /// trap nor count backwards. (A `tincan loopback` over the emulated link crashed here.)
    @Test func anEarlierTimeAfterALaterOneIsHarmless() {
        var a = VideoAdaptation(bounds: Self.hd, now: 0)
        var now = Self.run(&a, from: 0, seconds: 2, bitrate: 400_000)
        #expect(a.decision.rung.description == "640x360@30")
        _ = a.setTargetBitrate(2_200_000, now: now + 50_000_000)  // the recovery clock starts here
        for _ in 0..<3 { _ = a.update(now: now) }  // frames captured before that
        now = Self.run(&a, from: now, seconds: 6, bitrate: nil)
        #expect(a.decision.rung.description == "1280x720@30")
        let total = a.qualityLimitationDurations(now: now).values.reduce(0, +)
        #expect(abs(total - Double(now) / 1e9) < 0.06)
    }

    @Test func maintainResolutionOnlyLowersTheRateAndMaintainFramerateOnlyTheSize() {
        var r = VideoAdaptation(bounds: Self.hd, preference: .maintainResolution, now: 0)
        Self.run(&r, from: 0, seconds: 10, bitrate: 600_000)
        #expect(r.decision.width == 1280 && r.decision.height == 720)
        #expect(r.decision.frameRate < 30)
        #expect(r.decision.frameRate >= 600_000 / (0.05 * 1280 * 720) * 0.66)
        var f = VideoAdaptation(bounds: Self.hd, preference: .maintainFramerate, now: 0)
        Self.run(&f, from: 0, seconds: 10, bitrate: 600_000)
        #expect(f.decision.frameRate == 30)
        #expect(f.decision.rung.description == "640x360@30")
    }

    /// Encode time proportional to the pixels, 93 % of the interval at 720p30: cpu overuse
    /// lowers the size within a few seconds (the reason says cpu) and 960x540 (52 %) holds;
    /// when the load eases (720p would take 30 %) it recovers after the stable time.
    @Test func cpuOveruseDegradesAndUnderuseRecovers() {
        var a = VideoAdaptation(bounds: Self.hd, preference: .maintainFramerate, now: 0)
        func load(_ msAt720p: Double) -> (VideoAdaptation.Decision) -> UInt64 {
            { d in UInt64(msAt720p * 1e6 * Double(d.width * d.height) / (1280 * 720)) }
        }
        var now = Self.run(&a, from: 0, seconds: 6, bitrate: 2_200_000, encodeTime: load(31))
        #expect(a.decision.rung.description == "960x540@30")
        #expect(a.decision.reason == .cpu)
        #expect(a.cpuUsage.map { (0.5...0.6).contains($0) } == true, "usage \(String(describing: a.cpuUsage))")
        now = Self.run(&a, from: now, seconds: 3, bitrate: nil, encodeTime: load(10))
        #expect(a.decision.rung.description == "960x540@30")  // not yet: stable time
        now = Self.run(&a, from: now, seconds: 4, bitrate: nil, encodeTime: load(10))
        #expect(a.decision.rung.description == "1280x720@30")
        #expect(a.decision.reason == QualityLimitationReason.none)
        let d = a.qualityLimitationDurations(now: now)
        #expect((5...11).contains(d[.cpu] ?? 0), "\(d)")
        #expect(d[.bandwidth] == 0)
    }
}
