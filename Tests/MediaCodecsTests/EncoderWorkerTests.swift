import Foundation
import MediaCapture
import Synchronization
import Testing
@testable import MediaCodecs

/// An encoder that takes 20 ms per frame and echoes the input number.
final class SlowEncoder: QueuedEncoder {
    func encode(_ input: Int) throws(CodecError) -> [Int] {
        usleep(20_000)
        return [input]
    }
    func setTargetBitrate(_ bitsPerSecond: Int) throws(CodecError) {}
    func requestKeyframe() {}
    func flush() throws(CodecError) -> [Int] { [] }
}

@Suite struct EncoderWorkerTests {
    /// Frames submitted five times faster than the encoder runs: the oldest waiting ones
    /// are dropped and counted, the queue never passes its bound, the newest survives.
    @Test func dropsOldestWhenEncoderFallsBehind() async {
        let worker = EncoderWorker(encoder: SlowEncoder(), capacity: 2)
        for i in 0..<50 {
            worker.submit(i)
            usleep(4_000)
        }
        await worker.finish()
        var out: [Int] = []
        for await n in worker.frames { out.append(n) }
        let stats = worker.statistics
        #expect(stats.submitted == 50)
        #expect(stats.dropped > 20, "\(stats)")
        #expect(stats.encoded + stats.dropped == 50)
        #expect(stats.maxQueueDepth <= 2)
        #expect(out.count == stats.encoded)
        #expect(out == out.sorted())
        #expect(out.last == 49)
    }

    /// A real VP8 worker: frames in, encoded frames out with their capture timestamps,
    /// a keyframe on request and a bitrate change applied on the worker.
    @Test func vp8WorkerStreamsEncodedFrames() async throws {
        let encoder = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 160, height: 120, targetBitrate: 200_000))
        let worker = EncoderWorker(encoder: encoder, capacity: 2)
        let pattern = MovingPattern(width: 160, height: 120)
        let collector = Task {
            var frames: [EncodedVideoFrame] = []
            for await f in worker.frames { frames.append(f) }
            return frames
        }
        for i in 0..<20 {
            if i == 10 {
                worker.requestKeyframe()
                worker.setTargetBitrate(100_000)
            }
            worker.submit(pattern.frame(i, timestamp: UInt64(i) * 33_333_333))
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        await worker.finish()
        let frames = await collector.value
        let stats = worker.statistics
        #expect(stats.errors == 0)
        #expect(frames.count == stats.encoded && stats.encoded + stats.dropped == 20)
        #expect(frames.first?.isKeyframe == true)
        #expect(frames.map(\.timestamp) == frames.map(\.timestamp).sorted())
        #expect(frames.allSatisfy { $0.timestamp % 33_333_333 == 0 })
        if stats.dropped == 0 { #expect(frames[10].isKeyframe) }
    }
}
