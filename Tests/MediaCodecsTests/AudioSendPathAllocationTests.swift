import AllocationCounter
import Foundation
import MediaCapture
import MediaPrimitives
import Synchronization
import Testing
@testable import MediaCodecs

/// Steady-state allocations on the audio send path, device to encoder: the WAV file and the
/// synthetic microphone (each 10 ms frame from its `AudioFramePool`) into the Opus encoder on
/// its worker, as the sender runs it; the packets are the path's only new buffers (this debug
/// build adds one in the worker's drain). Counted by the per-thread malloc counter that
/// scripts/measure-rtp-allocations preloads; the devices tick on the test's thread.
@Suite struct AudioSendPathAllocationTests {
    /// Runs the device's ticks when the test says, on the test's thread.
    final class SteppedPacer: CapturePacer, @unchecked Sendable {
        private final class Pacing: CapturePacing {
            func stop() {}
        }
        private var tick: (@Sendable (Int, UInt64) -> Bool)?
        private var n = 0
        private var interval: UInt64 = 0

        func start(interval: UInt64, tick: @escaping @Sendable (Int, UInt64) -> Bool) -> any CapturePacing {
            self.tick = tick
            self.interval = interval
            return Pacing()
        }

        func step() {
            _ = tick?(n, UInt64(n) * interval)
            n += 1
        }
    }

    @Test func steadyStateMicrophoneToOpusAllocatesOnlyThePackets() throws {
        let counter = AllocationCounter.counter
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/microphone.wav"
        let writer = try WAVWriter(path: path, sampleRate: 48000, channelCount: 1)
        try writer.write(AudioFrame(sampleRate: 48000, channelCount: 1,
                                    samples: (0..<48000).map { Int16(truncatingIfNeeded: $0 * 7) }, timestamp: 0))
        try writer.close()

        for file in [true, false] {
            let pacer = SteppedPacer()
            let device: any AudioCaptureDevice = file ? try WAVFileMicrophone(path: path, pacer: pacer)
                : SyntheticMicrophone(pacer: pacer)
            // The sender's encoder: a worker that encodes on the device's thread (runsOnCaller)
            // and hands each packet to a handler (`deliver(to:)`).
            let worker = EncoderWorker(encoder: try OpusEncoder(configuration: OpusEncoderConfiguration(channelCount: 1)),
                                       label: "test.opus", runsOnCaller: true)
            let packets = Mutex(0)
            worker.deliver { _ in packets.withLock { $0 += 1 } }
            let session = try device.start(mode: AudioMode(sampleRate: 48000, channelCount: 1), onFrame: { frame in
                worker.submit(frame)
            }, onEnd: { _ in })
            defer { session.stop() }
            for _ in 0..<20 { pacer.step() }  // warm: the pool's buffers, the encoder's own
            let before = counter?(), packetsBefore = packets.withLock { $0 }
            for _ in 0..<100 { pacer.step() }  // 2 s: 200 frames of 10 ms, 100 packets of 20 ms
            let after = counter?(), sent = packets.withLock { $0 } - packetsBefore
            #expect(sent == 100, "file: \(file)")
            if let before, let after {
                let perPacket = Double(after - before) / Double(max(sent, 1))
                print("allocations: \(after - before) on the audio send path over \(sent) packets (\(file ? "WAV file" : "synthetic") microphone into its pool, Opus on its worker; \(perPacket) per 20 ms packet)")
                // Each packet: its bytes and the list the encoder returns them in, and in this
                // unoptimized build one more in the worker's drain (none in a release build:
                // heaptrack, docs/performance.md round 11); no frame (5 per packet before).
                #expect(after - before <= sent * 3, "file: \(file)")
            } else {
                print("allocations: not measured (run scripts/measure-rtp-allocations)")
                #expect(!AllocationCounter.required, "TINCAN_ALLOCATION_COUNTER=required but the malloc counter is not loaded")
            }
        }
    }
}
