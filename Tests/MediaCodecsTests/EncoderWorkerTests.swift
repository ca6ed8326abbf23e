import Foundation
import MediaCapture
import Synchronization
import Testing
@testable import MediaCodecs

/// An encoder that blocks in `encode` until the test opens the gate, so "the encoder is
/// behind" is a fact of the test, not of the machine's load.
final class GatedEncoder: QueuedEncoder {
    let started: DispatchSemaphore
    let gate: DispatchSemaphore
    init(started: DispatchSemaphore, gate: DispatchSemaphore) {
        self.started = started
        self.gate = gate
    }
    func encode(_ input: Int) throws(CodecError) -> [Int] {
        started.signal()
        gate.wait()
        return [input]
    }
    func setTargetBitrate(_ bitsPerSecond: Int) throws(CodecError) {}
    func requestKeyframe() {}
    func flush() throws(CodecError) -> [Int] { [] }
}

@Suite struct EncoderWorkerTests {
    /// While the encoder is stuck on frame 0, frames 1...9 arrive: only the newest two wait,
    /// the seven older ones are dropped and counted, and the queue never grows past two.
    @Test func dropsOldestWhenEncoderFallsBehind() async {
        let started = DispatchSemaphore(value: 0), gate = DispatchSemaphore(value: 0)
        let worker = EncoderWorker(encoder: GatedEncoder(started: started, gate: gate), capacity: 2)
        worker.submit(0)
        started.wait()  // frame 0 is inside the encoder
        for i in 1..<10 { worker.submit(i) }
        let behind = worker.statistics
        #expect(behind.dropped == 7 && behind.maxQueueDepth == 2, "\(behind)")
        for _ in 0..<3 { gate.signal() }
        await worker.finish()
        var out: [Int] = []
        for await n in worker.frames { out.append(n) }
        let stats = worker.statistics
        #expect(out == [0, 8, 9])
        #expect(stats.submitted == 10 && stats.encoded == 3 && stats.dropped == 7 && stats.produced == 3)
        worker.submit(10)  // after finish: ignored
        #expect(worker.statistics.submitted == 10)
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

    /// `finish()` while a caller's thread is inside the encoder: the flush waits for that
    /// frame (the caller's thread does it, as the drainer), so the encoder is never used from
    /// two threads (SerialAccess would trap) and the frame comes out before the stream ends.
    @Test func finishWhileACallerEncodesFlushesAfterItsFrame() async {
        let started = DispatchSemaphore(value: 0), gate = DispatchSemaphore(value: 0)
        let worker = EncoderWorker(encoder: GatedEncoder(started: started, gate: gate), capacity: 2, runsOnCaller: true)
        let thread = Thread { worker.submit(7) }
        thread.start()
        started.wait()  // frame 7 is inside the encoder, on the submitting thread
        let finished = Task { await worker.finish() }
        while !worker.finishRequested { await Task.yield() }  // finish is waiting on the drainer
        gate.signal()
        await finished.value
        var out: [Int] = []
        for await n in worker.frames { out.append(n) }
        #expect(out == [7])
        #expect(worker.statistics.submitted == 1 && worker.statistics.encoded == 1)
        await worker.finish()  // again: returns at once
    }

    /// Runs `submit` on a thread of its own, then finishes the worker: what it encoded, in
    /// order, and whether each was encoded on that thread.
    static func encodedOnAThread(_ worker: EncoderWorker<ThreadRecordingEncoder>, _ record: ThreadRecord,
                                 submit: @escaping @Sendable () -> Void) async -> (outputs: [Int], onSubmitter: [Bool]) {
        let submitter = Mutex<pthread_t?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            submitter.withLock { $0 = pthread_self() }
            submit()
            done.signal()
        }
        thread.start()
        done.wait()
        await worker.finish()
        var out: [Int] = []
        for await n in worker.frames { out.append(n) }
        let caller = submitter.withLock { $0 }
        return (out, record.threads.withLock { $0 }.map { t in caller.map { pthread_equal(t, $0) != 0 } ?? false })
    }

    /// `runsOnCaller`: each frame is encoded on the thread that submits it (no hop), in order,
    /// and `finish` still flushes and ends the stream.
    @Test func aCallerRunsWorkerEncodesOnTheSubmittingThread() async {
        let record = ThreadRecord()
        let worker = EncoderWorker(encoder: ThreadRecordingEncoder(record: record), capacity: 2, runsOnCaller: true)
        let (out, onSubmitter) = await Self.encodedOnAThread(worker, record) { for i in 0..<5 { worker.submit(i) } }
        #expect(out == [0, 1, 2, 3, 4])
        #expect(onSubmitter == [true, true, true, true, true], "encoded on the submitting thread")
        #expect(worker.statistics.dropped == 0)
    }

    @Test func setRunsOnCallerMovesTheEncodingOffTheSubmittingThread() async {
        let record = ThreadRecord()
        let worker = EncoderWorker(encoder: ThreadRecordingEncoder(record: record), capacity: 8, runsOnCaller: true)
        let (out, onSubmitter) = await Self.encodedOnAThread(worker, record) {
            worker.submit(0)
            worker.setRunsOnCaller(false)
            worker.submit(1)
        }
        #expect(out == [0, 1])
        #expect(onSubmitter == [true, false], "frame 0 on the submitting thread, frame 1 on the worker's")
        #expect(!worker.runsOnCaller)
    }
}

final class ThreadRecord: Sendable {
    let threads = Mutex<[pthread_t]>([])
}

/// Echoes its input and records the thread each frame was encoded on.
final class ThreadRecordingEncoder: QueuedEncoder {
    let record: ThreadRecord
    init(record: ThreadRecord) { self.record = record }
    func encode(_ input: Int) throws(CodecError) -> [Int] {
        record.threads.withLock { $0.append(pthread_self()) }
        return [input]
    }
    func setTargetBitrate(_ bitsPerSecond: Int) throws(CodecError) {}
    func requestKeyframe() {}
    func flush() throws(CodecError) -> [Int] { [] }
}
