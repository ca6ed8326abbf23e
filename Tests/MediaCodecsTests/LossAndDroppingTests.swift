import MediaCapture
import Synchronization
import Testing
@testable import MediaCodecs

/// The encoder settings the network side drives besides the bitrate: Opus's expected loss
/// and in-band FEC (RFC 7587 §6.1), libvpx's frame dropping (the adaptation's last rung).
@Suite struct LossAndDroppingTests {
    @Test func opusLossFollowsTheReportsSmoothly() {
        var loss = OpusPacketLoss()
        // Reports of 10 % (a receiver's fraction lost is in 1/256: 26/256).
        var told: [Int] = []
        for _ in 0..<10 { if let p = loss.report(fractionLost: 26.0 / 256) { told.append(p) } }
        #expect(loss.percent == 10)
        #expect(told == [10], "the first report sets it; the same loss again says nothing new")
        // One bad second (40 %) moves it, but not all the way.
        _ = loss.report(fractionLost: 0.4)
        #expect((15...25).contains(loss.percent), "\(loss.percent)")
        // Then no loss: back to 0 within about ten reports.
        var reports = 0
        while loss.percent > 0 && reports < 30 { _ = loss.report(fractionLost: 0); reports += 1 }
        #expect(loss.percent == 0 && reports <= 12, "\(reports) reports")
        // Half a point either way of the current value is not worth a change.
        var steady = OpusPacketLoss(percent: 5)
        #expect(steady.report(fractionLost: 0.055) == nil)
        #expect(steady.report(fractionLost: .nan) != nil, "an unusable report counts as no loss")
    }

    /// A queued change runs on the encoder before the next frame.
    @Test func reconfigureReachesTheEncoderBeforeItsNextFrame() throws {
        let inline = InlineEncoder(try OpusEncoder(configuration: OpusEncoderConfiguration(inbandFEC: false, packetLossPercent: 0)))
        let seen = Mutex<(Bool, Int)?>(nil)
        inline.reconfigure { e throws(CodecError) in
            try e.setInbandFEC(true, packetLossPercent: 12)
            seen.withLock { $0 = (e.inbandFECEnabled, e.expectedPacketLossPercent) }
        }
        #expect(seen.withLock { $0 } == nil, "queued, not run")
        let out = inline.encode(ToneGenerator(frequency: 440, channelCount: 1).frame(offset: 0, count: 960, timestamp: 1_000_000_000))
        #expect(out.count == 1 && inline.statistics.errors == 0)
        #expect(seen.withLock { $0.map { $0.0 } } == true)
        #expect(seen.withLock { $0?.1 } == 12)
    }

    @Test func opusEncoderReportsWhatLibopusIsSetTo() throws {
        let encoder = try OpusEncoder(configuration: OpusEncoderConfiguration(inbandFEC: false, packetLossPercent: 0))
        try encoder.setInbandFEC(true, packetLossPercent: 12)
        #expect(encoder.inbandFECEnabled && encoder.expectedPacketLossPercent == 12)
        try encoder.setInbandFEC(false, packetLossPercent: 3)
        #expect(!encoder.inbandFECEnabled && encoder.expectedPacketLossPercent == 3)
    }

    /// 640x480 of busy pattern into 40 kbit/s: libvpx skips frames only when allowed.
    @Test(arguments: [false, true])
    func vp8DropsFramesOnlyWhenAllowed(dropping: Bool) throws {
        let encoder = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 640, height: 480, frameRate: 30, targetBitrate: 40_000))
        #expect(encoder.configuration.frameDropThreshold == 0, "off unless the adaptation says so")
        try encoder.setFrameDropping(dropping)
        #expect(encoder.configuration.frameDropThreshold == (dropping ? VP8Encoder.frameDroppingThreshold : 0))
        let out = try Support.encodePattern(encoder, pattern: MovingPattern(width: 640, height: 480), count: 60, interval: 33_333_333)
        if dropping {
            #expect(encoder.rateControlDrops > 0, "\(out.count) of 60 frames out")
        } else {
            #expect(encoder.rateControlDrops == 0 && out.count == 60)
        }
    }
}
