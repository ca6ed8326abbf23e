import Foundation
import MediaCapture
import Testing
@testable import MediaCodecs

@Suite struct WebMTests {
    @Test func ebmlSizesAreShortestVints() {
        #expect(EBML.size(0) == [0x80])
        #expect(EBML.size(126) == [0xFE])
        #expect(EBML.size(127) == [0x40, 0x7F])  // 0xFF alone would mean "unknown"
        #expect(EBML.size(16382) == [0x7F, 0xFE])
        #expect(EBML.id(0x1A45DFA3) == [0x1A, 0x45, 0xDF, 0xA3])
        #expect(EBML.uint(0xD7, 1) == [0xD7, 0x81, 0x01])
    }

    /// VP8 + Opus interleaved as captured: vpxdec decodes every video frame and mkvinfo
    /// (mkvtoolnix) reads both tracks without complaint.
    @Test func vp8AndOpusWebMReadsInReferenceTools() throws {
        try Support.requireTool("vpxdec")
        try Support.requireTool("mkvinfo")
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/call.webm"
        let video = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 160, height: 120, frameRate: 15, keyframeInterval: 30))
        let opus = try OpusEncoder(configuration: OpusEncoderConfiguration(channelCount: 2))
        let writer = try WebMWriter(path: path, video: (160, 120), audio: OpusHead(channelCount: 2, preSkip: opus.lookahead))
        let pattern = MovingPattern(width: 160, height: 120)
        let tone = ToneGenerator(channelCount: 2)
        let start: UInt64 = 9_000_000_000
        // 3 s: a video frame every 66.7 ms, audio in 20 ms pieces, in capture order.
        var videoIndex = 0
        for n in 0..<150 {
            let t = start + UInt64(n) * 20_000_000
            while start + UInt64(videoIndex) * 66_666_667 <= t {
                for f in try video.encode(pattern.frame(videoIndex, timestamp: start + UInt64(videoIndex) * 66_666_667)) { try writer.write(f) }
                videoIndex += 1
            }
            for p in try opus.encode(tone.frame(offset: n * 960, count: 960, timestamp: t)) { try writer.write(p) }
        }
        try writer.close()
        #expect(writer.blockCount == videoIndex + 150)

        let dec = try Support.run("/usr/bin/vpxdec", ["--md5", "--summary", path])
        #expect(dec.status == 0, "vpxdec: \(dec.stderr)")
        #expect(dec.stderr.contains("\(videoIndex) decoded frames"), "vpxdec: \(dec.stderr)")

        let info = try Support.run("/usr/bin/mkvinfo", ["--all", path])
        #expect(info.status == 0, "mkvinfo: \(info.stdout) \(info.stderr)")
        #expect(info.stdout.contains("V_VP8") && info.stdout.contains("A_OPUS"), "mkvinfo: \(info.stdout.prefix(3000))")
        #expect(!info.stdout.lowercased().contains("error") && !info.stderr.lowercased().contains("error"))
        #expect(info.stdout.contains("Duration: 00:00:02.9"), "mkvinfo: \(info.stdout.prefix(1500))")
    }
}
