import MediaCapture
import MediaPrimitives
import Testing
@testable import MediaCodecs

@Suite struct VideoFrameAdapterTests {
    /// 30 fps at 1280x720 under a 640x360@15 decision: every other frame, stamps untouched,
    /// scaled, into the same few buffers over and over.
    @Test func decimatesByTimestampAndScalesIntoReusedBuffers() {
        let pattern = MovingPattern(width: 1280, height: 720)
        let source = (0..<4).map { pattern.frame($0, timestamp: 0) }
        var adapter = VideoFrameAdapter(width: 1280, height: 720, sourceFrameRate: 30, poolSize: 3)
        // Untouched while the decision is the capture's own.
        let same = adapter.adapt(source[0])
        #expect(same?.width == 1280)
        adapter.set(width: 640, height: 360, frameRate: 15)
        var kept: [UInt64] = []
        var addresses: [UnsafeRawPointer?] = []
        for i in 1...24 {
            var f = source[i % 4]
            f.timestamp = UInt64(i) * 33_333_333
            guard let out = adapter.adapt(f) else { continue }
            #expect(out.width == 640 && out.height == 360)
            #expect(out.data.count == VideoFrame.byteCount(width: 640, height: 360))
            #expect(out.timestamp == f.timestamp)
            kept.append(out.timestamp)
            addresses.append(out.data.withUnsafeBytes { UnsafeRawPointer($0.baseAddress) })
        }
        #expect(kept.count == 12)
        #expect(adapter.framesDecimated == 12)
        let gaps = Set(zip(kept.dropFirst(), kept).map { $0 - $1 })
        #expect(gaps == [66_666_666, 66_666_667] || gaps == [66_666_666] || gaps == [66_666_667], "gaps \(gaps)")
        // A consumer that lets go at once: the pool (of up to 3) takes two buffers in turn.
        #expect(Set(addresses.map { $0.map { Int(bitPattern: $0) } ?? 0 }).count == 2)
        #expect(addresses[0] == addresses[2] && addresses[1] == addresses[3] && addresses[0] != addresses[1])
        // The scaled picture is the source's, smaller: compare with a direct shape.
        let direct = VideoShaper(nativeWidth: 1280, nativeHeight: 720, width: 640, height: 360).shape(source[1])
        var again = VideoFrameAdapter(width: 640, height: 360, sourceFrameRate: 30)
        let adapted = again.adapt(source[1])
        #expect(adapted?.data == direct.data)
    }

    /// Frames of a new size go through the same encoder: smaller ones by
    /// vpx_codec_enc_config_set, a larger one than at init by a new encoder; each change
    /// starts with a keyframe and the decoder's pictures follow the sizes.
    @Test func encoderFollowsSizeChangesAndTheDecoderFollows() throws {
        let encoder = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 640, height: 360, frameRate: 30, targetBitrate: 800_000))
        let decoder = try VP8Decoder()
        let sizes = [(640, 360), (480, 270), (320, 180), (640, 360), (800, 450)]
        var index = 0
        for (n, (w, h)) in sizes.enumerated() {
            let pattern = MovingPattern(width: w, height: h)
            var scores: [Double] = []
            for i in 0..<20 {
                let frame = pattern.frame(index, timestamp: 1_000_000_000 + UInt64(index) * 33_333_333)
                index += 1
                let out = try encoder.encode(frame)
                #expect(out.count == 1)
                for e in out {
                    #expect(e.width == w && e.height == h)
                    if i == 0 && n > 0 { #expect(e.isKeyframe, "first frame at \(w)x\(h)") }
                    for p in try decoder.decode(e.data, timestamp: e.timestamp) {
                        #expect(p.width == w && p.height == h)
                        scores.append(Support.psnr(frame, p))
                    }
                }
            }
            #expect(scores.count == 20)
            #expect((scores.last ?? 0) > 28, "\(w)x\(h): PSNR \(scores.last ?? 0)")
        }
        #expect(encoder.resizes == 4)
        #expect(encoder.configuration.width == 800)
    }
}
