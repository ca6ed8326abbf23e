import Foundation
import MediaCapture
import MediaPrimitives
import Testing
@testable import MediaCodecs

@Suite struct VP8EncoderTests {
    /// A 10 fps track (timestamps 100 ms apart) at 640x480 becomes an IVF of 100 frames 100 ms
    /// apart that the reference decoder decodes.
    @Test func tenFPSSequenceMakesIVFThatVpxdecDecodes() throws {
        try Support.requireTool("vpxdec")
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/ten.ivf"
        let encoder = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 640, height: 480, frameRate: 10))
        let writer = try IVFWriter(path: path, width: 640, height: 480)
        let pattern = MovingPattern(width: 640, height: 480)
        let frames = try Support.encodePattern(encoder, pattern: pattern, count: 100, interval: 100_000_000) + encoder.flush()
        for f in frames { try writer.write(f) }
        try writer.close()
        #expect(frames.count == 100)

        let reader = try IVFReader(path: path)
        #expect(reader.fourcc == "VP80" && reader.width == 640 && reader.height == 480)
        #expect(reader.timebase.numerator == 1 && reader.timebase.denominator == 90_000)
        #expect(reader.declaredFrameCount == 100)
        let stored = try reader.readAll()
        #expect(stored.count == 100)
        let gaps = zip(stored.dropFirst(), stored).map { $0.pts - $1.pts }
        #expect(gaps.allSatisfy { $0 == 9000 }, "pts gaps \(Set(gaps)) (9000 = 100 ms at 90 kHz)")

        let md5 = try Support.run("/usr/bin/vpxdec", ["--md5", "--summary", path])
        #expect(md5.status == 0, "vpxdec: \(md5.stderr)")
        #expect(md5.stderr.contains("100 decoded frames"), "vpxdec summary: \(md5.stderr)")
        #expect(md5.stdout.count >= 32, "md5 output \(md5.stdout)")
    }

    /// CBR hits the target within 15 % over 10 s (300 frames, 640x480 at 30 fps, nothing
    /// excluded: the first keyframe counts).
    @Test(arguments: [300_000, 1_000_000])
    func bitrateWithin15PercentOfTarget(target: Int) throws {
        let encoder = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 640, height: 480, frameRate: 30, targetBitrate: target))
        let pattern = MovingPattern(width: 640, height: 480)
        let frames = try Support.encodePattern(encoder, pattern: pattern, count: 300, interval: 33_333_333)
        #expect(frames.count == 300)
        let bits = Double(frames.reduce(0) { $0 + $1.data.count } * 8)
        let rate = bits / 10.0
        let error = abs(rate - Double(target)) / Double(target)
        print("VP8 640x480@30 target \(target): \(Int(rate)) bit/s (\(String(format: "%+.1f", 100 * (rate / Double(target) - 1))) %)")
        #expect(error < 0.15, "measured \(Int(rate)) bit/s for target \(target)")
    }

    /// The decoder gets the moving pattern back above 30 dB at 1 Mbit/s.
    @Test func roundTripPSNRAbove30dB() throws {
        let encoder = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 640, height: 480, frameRate: 30, targetBitrate: 1_000_000))
        let decoder = try VP8Decoder()
        let pattern = MovingPattern(width: 640, height: 480)
        var scores: [Double] = []
        var decodeFailures = 0
        _ = try Support.encodePattern(encoder, pattern: pattern, count: 90, interval: 33_333_333) { source, encoded in
            for e in encoded {
                guard let pictures = try? decoder.decode(e.data, timestamp: e.timestamp), let picture = pictures.first else {
                    decodeFailures += 1
                    continue
                }
                #expect(picture.timestamp == source.timestamp)
                scores.append(Support.psnr(source, picture))
            }
        }
        let mean = scores.reduce(0, +) / Double(max(1, scores.count))
        print("VP8 640x480@30 1 Mbit/s: mean luma PSNR \(String(format: "%.2f", mean)) dB, min \(String(format: "%.2f", scores.min() ?? 0)) over \(scores.count) frames")
        #expect(decodeFailures == 0)
        #expect(scores.count == 90)
        #expect(mean > 30)
    }

    /// vpx_codec_enc_config_set changes the target mid-stream on the same encoder.
    @Test func bitrateChangesOnTheFly() throws {
        let encoder = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 320, height: 240, frameRate: 30, targetBitrate: 600_000))
        let pattern = MovingPattern(width: 320, height: 240)
        var high = 0, low = 0
        for i in 0..<180 {
            if i == 90 { try encoder.setTargetBitrate(150_000) }
            let bytes = try encoder.encode(pattern.frame(i, timestamp: UInt64(i) * 33_333_333)).reduce(0) { $0 + $1.data.count }
            if i >= 30 && i < 90 { high += bytes } else if i >= 120 { low += bytes }
        }
        #expect(encoder.targetBitrate == 150_000)
        let highRate = Double(high * 8) / 2.0, lowRate = Double(low * 8) / 2.0
        #expect(abs(highRate - 600_000) / 600_000 < 0.25, "before: \(highRate)")
        #expect(abs(lowRate - 150_000) / 150_000 < 0.25, "after: \(lowRate)")
    }

    /// The user's cap wins over a later, higher target.
    @Test func maxBitrateCapsTheTarget() throws {
        var config = VP8EncoderConfiguration(width: 320, height: 240, targetBitrate: 900_000, maxBitrate: 400_000)
        #expect(config.effectiveBitrate == 400_000)
        let encoder = try VP8Encoder(configuration: config)
        #expect(encoder.targetBitrate == 400_000)
        try encoder.setTargetBitrate(2_000_000)
        #expect(encoder.targetBitrate == 400_000)
        config.maxBitrate = VP8Encoder.defaultMaxBitrate
        config.targetBitrate = nil
        #expect(config.effectiveBitrate == VP8Encoder.defaultBitrate(width: 320, height: 240, frameRate: 30))
    }

    @Test func keyframeOnDemandAndAtInterval() throws {
        let encoder = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 160, height: 120, keyframeInterval: 25))
        let pattern = MovingPattern(width: 160, height: 120)
        var keys: [Int] = []
        for i in 0..<60 {
            if i == 10 { encoder.requestKeyframe() }
            for e in try encoder.encode(pattern.frame(i, timestamp: UInt64(i) * 33_333_333)) where e.isKeyframe { keys.append(i) }
        }
        // The first frame, the request at 10, then the interval counted from the last keyframe.
        #expect(keys.first == 0)
        #expect(keys.contains(10))
        #expect(!keys.contains(5))
        #expect(keys.count >= 3, "keyframes at \(keys)")
        #expect(zip(keys.dropFirst(), keys).allSatisfy { $0 - $1 <= 25 }, "keyframes at \(keys)")
    }

    /// Timestamps survive encoding and map to the 90 kHz RTP clock.
    @Test func captureTimestampsSurviveEncoding() throws {
        let encoder = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 160, height: 120))
        let pattern = MovingPattern(width: 160, height: 120)
        let start: UInt64 = 123_456_789_000
        let stamps = (0..<10).map { start + UInt64($0) * 40_000_000 + UInt64($0 % 3) * 1_000_000 }  // jittery 25 fps
        var out: [EncodedVideoFrame] = []
        for (i, t) in stamps.enumerated() { out += try encoder.encode(pattern.frame(i, timestamp: t)) }
        #expect(out.map(\.timestamp) == stamps)
        #expect(out[1].rtpTimestamp() &- out[0].rtpTimestamp() == 3600 + 90)
        #expect(out[0].rtpTimestamp(offset: 1000) == UInt32(truncatingIfNeeded: start * 9 / 100_000) &+ 1000)
    }

    /// Rate control follows the capture timestamps: a track declared at 30 fps whose frames
    /// really come 100 ms apart still hits the target in bits per second, and each frame
    /// gets about three times the bits.
    @Test func rateControlFollowsRealFrameRate() throws {
        let pattern = MovingPattern(width: 320, height: 240)
        func bytesPerFrame(interval: UInt64, count: Int) throws -> (rate: Double, perFrame: Double) {
            let encoder = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 320, height: 240, frameRate: 30, targetBitrate: 300_000))
            let frames = try Support.encodePattern(encoder, pattern: pattern, count: count, interval: interval)
            let bytes = Double(frames.dropFirst(count / 3).reduce(0) { $0 + $1.data.count })
            let seconds = Double(interval) * Double(count - count / 3) / 1e9
            return (bytes * 8 / seconds, bytes / Double(count - count / 3))
        }
        let thirty = try bytesPerFrame(interval: 33_333_333, count: 150)
        let ten = try bytesPerFrame(interval: 100_000_000, count: 60)
        #expect(abs(ten.rate - 300_000) / 300_000 < 0.2, "10 fps: \(ten.rate) bit/s")
        #expect(ten.perFrame > 2 * thirty.perFrame, "bytes per frame 10 fps \(ten.perFrame), 30 fps \(thirty.perFrame)")
    }

    @Test func defaultBitrateFollowsSizeAndFrameRate() {
        let vga30 = VP8Encoder.defaultBitrate(width: 640, height: 480, frameRate: 30)
        let vga10 = VP8Encoder.defaultBitrate(width: 640, height: 480, frameRate: 10)
        let hd30 = VP8Encoder.defaultBitrate(width: 1280, height: 720, frameRate: 30)
        #expect(vga10 < vga30 && vga30 < hd30)
        #expect(Double(vga10) / 10 > Double(vga30) / 30)  // more bits per frame at 10 fps
        #expect((500_000...1_200_000).contains(vga30))
        #expect(VP8Encoder.defaultCPUUsed(width: 1280, height: 720) <= -6)
    }

    @Test func oneEncoderThreadPerTrackUnless1080pOnFourCores() {
        #expect(VP8Encoder.defaultThreads(width: 1280, height: 720, cores: 2) == 1)
        #expect(VP8Encoder.defaultThreads(width: 1920, height: 1080, cores: 2) == 1)
        #expect(VP8Encoder.defaultThreads(width: 1280, height: 720, cores: 8) == 1)
        #expect(VP8Encoder.defaultThreads(width: 1920, height: 1080, cores: 4) == 2)
        // Token partitions follow the size, not the threads: a decoder can still use two.
        #expect(VP8EncoderConfiguration(width: 1280, height: 720, frameRate: 30, threads: 1).effectiveTokenPartitions == 1)
        #expect(VP8EncoderConfiguration(width: 640, height: 480, frameRate: 30).effectiveTokenPartitions == 0)
    }

    @Test func oneDecoderThreadBelowFourCores() {
        #expect(VP8Decoder.defaultThreads(cores: 2) == 1)
        #expect(VP8Decoder.defaultThreads(cores: 4) == 2)
    }

    @Test func rejectsFramesWhoseBytesDoNotMatchTheirSize() throws {
        let encoder = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 160, height: 120))
        #expect(throws: CodecError.self) { try encoder.encode(VideoFrame(width: 160, height: 120, data: [1, 2, 3], timestamp: 0)) }
        let decoder = try VP8Decoder()
        #expect(throws: CodecError.self) { try decoder.decode([0x12, 0x34, 0x56, 0x78, 0x9a]) }
        #expect(throws: CodecError.self) { try decoder.decode([]) }
    }

    /// A warm decoder writes its pictures into the buffers of the ones before (its pool),
    /// and never into one a sink still holds: that one is left alone, and the pool grows by
    /// a buffer for it instead of allocating one every round.
    @Test func theDecoderReusesItsPicturesOnceTheSinksLetGo() throws {
        let encoder = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 320, height: 240, targetBitrate: 500_000))
        let decoder = try VP8Decoder()
        let pattern = MovingPattern(width: 320, height: 240)
        var addresses: Set<UInt> = []
        var held: (picture: VideoFrame, bytes: [UInt8])?
        var decoded = 0
        var failures = 0
        _ = try Support.encodePattern(encoder, pattern: pattern, count: 40, interval: 33_333_333) { source, encoded in
            for e in encoded {
                guard let pictures = try? decoder.decode(e.data) else { failures += 1; continue }
                for picture in pictures {
                    decoded += 1
                    addresses.insert(picture.data.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) })
                    #expect(Support.psnr(source, picture) > 30)
                    if decoded == 20 { held = (picture, picture.data.map { $0 }) }  // a sink that keeps one picture
                }
            }
        }
        #expect(decoded == 40 && failures == 0)
        #expect(addresses.count <= 4, "\(addresses.count) picture buffers for 40 frames")
        #expect(decoder.pictureAllocations == 0, "the pool grew for the held picture: no buffer per round")
        let kept = try #require(held)
        #expect(kept.picture.data == kept.bytes, "the held picture was not written over")
    }

    /// Odd sizes keep the I420 layout (chroma rounded up), no stride mix-up.
    @Test func oddSizeRoundTrip() throws {
        let encoder = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 175, height: 97, targetBitrate: 800_000))
        let decoder = try VP8Decoder()
        let pattern = MovingPattern(width: 175, height: 97)
        var scores: [Double] = []
        _ = try Support.encodePattern(encoder, pattern: pattern, count: 10, interval: 33_333_333) { source, encoded in
            for e in encoded { for p in (try? decoder.decode(e.data)) ?? [] { scores.append(Support.psnr(source, p)) } }
        }
        #expect(scores.count == 10)
        #expect((scores.last ?? 0) > 30)
    }
}
