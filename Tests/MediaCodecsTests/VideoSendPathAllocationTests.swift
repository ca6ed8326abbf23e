import AllocationCounter
import Foundation
@testable import MediaCapture
import MediaPrimitives
import Testing
@testable import MediaCodecs

/// Steady-state allocations per frame on the video send path, device to encoder: the Y4M
/// file camera and the synthetic camera into their pools, the track's crop-and-scale, the
/// sender's adaptation (decimation and scaling), a consumer that holds frames as the
/// encoder's queue does, and the VP8 encoder itself. Counted by the malloc counter that
/// scripts/measure-rtp-allocations preloads (TINCAN_ALLOCATION_COUNTER=required there, so a
/// counter that did not load fails); without it the path only runs.
@Suite struct VideoSendPathAllocationTests {
    /// What the encoder's worker keeps: 2 waiting plus the one being encoded.
    struct HeldFrames {
        var frames: [VideoFrame] = []
        init() { frames.reserveCapacity(4) }
        mutating func hold(_ frame: VideoFrame) {
            if frames.count == 3 { frames.remove(at: 0) }
            frames.append(frame)
        }
    }

    @Test func steadyStateDeviceToEncoderAllocatesNothing() throws {
        let counter = AllocationCounter.counter
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/camera.y4m"
        let pattern = MovingPattern(width: 640, height: 480)
        let writer = try Y4MWriter(path: path, width: 640, height: 480, frameRate: 30)
        for i in 0..<8 { try writer.write(pattern.frame(i, timestamp: 0)) }
        try writer.close()

        let reader = try Y4MReader(path: path)
        var cameraPool = VideoFramePool(count: 4)
        var syntheticPool = VideoFramePool(count: 4)
        var trackPool = VideoFramePool(count: 4), syntheticTrackPool = VideoFramePool(count: 4)
        let background = SyntheticPattern.background(width: 640, height: 480)
        // The track crops and scales 640x480 to 480x360; the adaptation scales on to 240x180
        // and halves the rate. (Ratios libyuv's box filter scales in place: at others, such as
        // 2/3, I420Scale mallocs a row buffer per plane and call, libyuv's own.)
        let trackShaper = VideoShaper(nativeWidth: 640, nativeHeight: 480, width: 480, height: 360)
        var adapter = VideoFrameAdapter(width: 480, height: 360, sourceFrameRate: 30)
        adapter.set(width: 240, height: 180, frameRate: 15)
        var held = HeldFrames()
        var encoded = 0

        // Allocations by stage, to say where a regression is.
        var stages = [Int](repeating: 0, count: 6)
        func count(_ stage: Int, _ since: Int?) { if let since, let now = counter?() { stages[stage] += now - since } }
        func step(_ n: Int) throws -> VideoFrame? {
            let t = UInt64(n) * 33_333_333
            var c = counter?()
            var file = try reader.nextFrame(timestamp: t, from: &cameraPool)
            if file == nil {
                try reader.rewind()
                file = try reader.nextFrame(timestamp: t, from: &cameraPool)
            }
            count(0, c)
            guard let file else { return nil }
            c = counter?()
            let synthetic = SyntheticPattern.frame(width: 640, height: 480, frameNumber: n, timestamp: t,
                                                   background: background, pool: &syntheticPool)
            count(1, c)
            c = counter?()
            let shapedSynthetic = trackShaper.shape(synthetic, pool: &syntheticTrackPool)
            let shaped = trackShaper.shape(file, pool: &trackPool)
            count(2, c)
            c = counter?()
            held.hold(shapedSynthetic)
            count(3, c)
            c = counter?()
            let adapted = adapter.adapt(shaped)
            count(4, c)
            guard let adapted else { return nil }
            c = counter?()
            held.hold(adapted)
            count(3, c)
            return adapted
        }

        // Warm-up: every pool slot filled once.
        for n in 0..<30 { _ = try step(n) }
        stages = [Int](repeating: 0, count: 6)
        let before = counter?()
        var frames = 0
        for n in 30..<330 where try step(n) != nil { frames += 1 }
        let after = counter?()
        let byStage = stages

        // The encoder on the adapted frames, measured apart: its output is the compressed
        // frame (a new array each) and the frame list it returns.
        let encoder = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 240, height: 180, frameRate: 15))
        for n in 330..<360 { if let f = try step(n) { encoded += try encoder.encode(f).count } }
        let encodeBefore = counter?()
        var encodeFrames = 0
        for n in 360..<480 {
            guard let f = try step(n) else { continue }
            encoded += try encoder.encode(f).count
            encodeFrames += 1
        }
        let encodeAfter = counter?()
        #expect(frames == 150 && encodeFrames == 60 && encoded > 0)
        #expect(cameraPool.allocations == 0 && syntheticPool.allocations == 0)
        #expect(trackPool.allocations == 0 && syntheticTrackPool.allocations == 0)
        if let before, let after, let encodeBefore, let encodeAfter {
            let capture = after - before
            let encode = encodeAfter - encodeBefore - (after - before) * encodeFrames / max(frames, 1)
            print("allocations: \(capture) on the video send path over \(frames) frames (Y4M camera and synthetic camera into pools, crop-and-scale, adaptation, held as by the encoder's queue; by stage: Y4M camera \(byStage[0]), synthetic camera \(byStage[1]), crop-and-scale \(byStage[2]), held \(byStage[3]), adaptation \(byStage[4])); the VP8 encoder \(Double(encode) / Double(encodeFrames)) per frame")
            #expect(capture == 0)
            // The encoder's output: the compressed bytes and the list they come in.
            #expect(encode <= encodeFrames * 4)
        } else {
            print("allocations: not measured (run scripts/measure-rtp-allocations)")
            #expect(!AllocationCounter.required, "TINCAN_ALLOCATION_COUNTER=required but the malloc counter is not loaded")
        }
    }
}
