import MediaCapture
import Testing
@testable import MediaCodecs

@Suite struct MediaTimestampTests {
    @Test func convertsCaptureClockToMediaClocks() {
        #expect(MediaTimestamp.units(fromNanoseconds: 1_000_000_000, clockRate: 90_000) == 90_000)
        #expect(MediaTimestamp.units(fromNanoseconds: 33_333_333, clockRate: 90_000) == 3000)  // nearest, not 2999
        #expect(MediaTimestamp.units(fromNanoseconds: 20_000_000, clockRate: 48_000) == 960)
        #expect(MediaTimestamp.nanoseconds(fromUnits: 960, clockRate: 48_000) == 20_000_000)
        // No overflow near the top of the 64-bit range (a clock up for centuries).
        let big = UInt64.max / 2
        #expect(MediaTimestamp.units(fromNanoseconds: big, clockRate: 90_000) == big / 1_000_000_000 * 90_000
            + ((big % 1_000_000_000) * 90_000 + 500_000_000) / 1_000_000_000)
        // RTP timestamps wrap modulo 2^32 with the stream's offset (RFC 3550 §5.1).
        #expect(MediaTimestamp.rtpTimestamp(captureNanoseconds: 1_000_000_000, clockRate: 90_000, offset: UInt32.max) == 89_999)
    }

    /// Audio and video captured at the same instant carry RTP timestamps that map back to
    /// that instant, which is what lets the far end line them up (with RTCP SR).
    @Test func audioAndVideoStayInSync() throws {
        let t: UInt64 = 42_000_000_000 + 360_000_000
        let encoder = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 64, height: 48))
        let video = try encoder.encode(MovingPattern(width: 64, height: 48).frame(0, timestamp: t))
        let opus = try OpusEncoder(configuration: OpusEncoderConfiguration(channelCount: 1))
        let audio = try opus.encode(ToneGenerator().frame(offset: 0, count: 960, timestamp: t))
        let v = try #require(video.first), a = try #require(audio.first)
        #expect(v.timestamp == t && a.timestamp == t)
        let videoNs = MediaTimestamp.nanoseconds(fromUnits: UInt64(v.rtpTimestamp()), clockRate: 90_000)
        let audioNs = MediaTimestamp.nanoseconds(fromUnits: UInt64(a.rtpTimestamp()), clockRate: 48_000)
        // Both are the capture time modulo their wrap periods; compare within one wrap.
        #expect(videoNs == t % MediaTimestamp.nanoseconds(fromUnits: 1 << 32, clockRate: 90_000))
        #expect(audioNs == t % MediaTimestamp.nanoseconds(fromUnits: 1 << 32, clockRate: 48_000))
    }
}
