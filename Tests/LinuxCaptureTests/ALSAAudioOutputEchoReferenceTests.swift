import AudioProcessing
import LinuxCapture
import MediaCapture
import MediaPrimitives
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The playout is the echo cancellers' far end (issue #13): every block ALSAAudioOutput writes
/// to the speakers goes to its echo reference, as it is written.
@Suite("ALSA playout feeds the echo reference")
struct ALSAAudioOutputEchoReferenceTests {
    @Test("each block written to the device (alsa-lib's file plugin) is rendered to the echo reference, and what the device got is those blocks")
    func playedBlocksAreRendered() async throws {
        let dir = FileMicrophoneFixture.directory
        let reference = EchoCancellationReference()
        // A canceller listening, so the reference takes the blocks.
        let canceller = try AudioProcessingModule(sampleRate: 48_000, channelCount: 1,
                                                  settings: .init(echoCancellation: true, noiseSuppression: false, autoGainControl: false),
                                                  reference: reference)
        let next = Atomic<Int>(0)
        // Block k holds k*480 ... k*480+479: any block lost, doubled or reordered shows.
        let output = try ALSAAudioOutput.start(device: "tincan_speaker", sampleRate: 48_000, channelCount: 1, echoReference: reference,
                                               read: {
            let k = next.add(1, ordering: .relaxed).oldValue
            return AudioFrame(sampleRate: 48_000, channelCount: 1,
                              samples: (0..<480).map { Int16(truncatingIfNeeded: k * 480 + $0) }, timestamp: 0)
        })
        let deadline = MonotonicClock.now() + 5_000_000_000
        while output.framesWritten < 30 * 480, MonotonicClock.now() < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        output.stop()
        let written = Int(output.framesWritten) / 480
        #expect(written >= 30)
        #expect(reference.renderedBlocks == written, "\(reference.renderedBlocks) blocks rendered, \(written) written")
        #expect(reference.mismatchedBlocks == 0 && canceller.mismatchedFrames == 0 && canceller.failures == 0)
        let played = Self.read(dir + "/speaker.raw")
        #expect(played.count == written * 480)
        #expect(played == (0..<(written * 480)).map { Int16(truncatingIfNeeded: $0) })
        withExtendedLifetime(canceller) {}
    }

    static func read(_ path: String) -> [Int16] {
        guard let file = fopen(path, "rb") else { return [] }
        defer { fclose(file) }
        var out: [Int16] = []
        var buffer = [Int16](repeating: 0, count: 4800)
        while true {
            let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 2, 4800, file) }
            if n == 0 { break }
            out += buffer[0..<n]
        }
        return out
    }
}
