import AudioProcessing
import CALSA
import MediaCapture
import MediaPrimitives
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Plays received audio on an ALSA device (`--audio-output`): a thread of its own (ALSA
/// writes block; never the event loop or the cooperative pool) asks `read` for the next
/// 10 ms block whenever the device's queue falls below `lead`, so the jitter buffer behind
/// `read` decides what plays as late as it can. A device that plays in real time paces the
/// thread; one that does not (the `file` plugin over `null`) is paced on CLOCK_MONOTONIC
/// instead, one block per 10 ms. Each block written also goes to the echo reference, when
/// given: what the speakers play is what the microphone tracks' echo cancellers remove.
public final class ALSAAudioOutput: Sendable {
    public let device: String
    public let sampleRate: Int
    public let channelCount: Int
    /// Frames kept queued in the device ahead of what plays: 20 ms.
    public static let leadFrames = 960

    private let playback: Mutex<ALSAPlayback?>
    private let thread = CaptureThreadHandle()
    private let written = Atomic<Int64>(0)

    private init(device: String, playback: sending ALSAPlayback) {
        self.device = device
        sampleRate = playback.sampleRate
        channelCount = playback.channelCount
        self.playback = Mutex(playback)
    }

    /// Opens `device` for 16-bit interleaved playback and starts playing what `read` gives
    /// (10 ms blocks of `sampleRate` × `channelCount`). Throws when the device cannot be
    /// opened (absent, busy, no permission); `onError` hears of a write that fails later
    /// (the device went away), after which the output stops. `echoReference`: where each
    /// block written is rendered as the echo cancellers' far end (`EchoCancellationReference.shared`
    /// for a call's speakers; nil for none).
    public static func start(
        device: String, sampleRate: Int, channelCount: Int,
        echoReference: EchoCancellationReference? = nil,
        read: @escaping @Sendable () -> AudioFrame,
        onError: @escaping @Sendable (MediaStreamError) -> Void = { _ in }
    ) throws(MediaStreamError) -> ALSAAudioOutput {
        // The error is thrown with the device's name; alsa-lib's own line on stderr would
        // only repeat it.
        tincan_alsa_silence_errors()
        defer { tincan_alsa_restore_errors() }
        let playback = try ALSAPlayback(pcmName: device, sampleRate: sampleRate, channelCount: channelCount, label: "audio output")
        let output = ALSAAudioOutput(device: device, playback: playback)
        guard output.thread.start({ output.run(read: read, echoReference: echoReference, onError: onError) }) else {
            throw MediaStreamError(.notReadableError, "\(device): cannot start a playback thread")
        }
        return output
    }

    /// Frames written to the device so far.
    public var framesWritten: Int64 { written.load(ordering: .relaxed) }

    /// Stops asking for audio, lets what is queued play, closes the device.
    public func stop() { thread.stop() }

    private func run(read: @Sendable () -> AudioFrame, echoReference: EchoCancellationReference?,
                     onError: @Sendable (MediaStreamError) -> Void) {
        // The thread is the PCM's only user from here on; it closes it on exit.
        guard let playback = playback.withLock({ box -> ALSAPlayback? in defer { box = nil }; return box }) else { return }
        defer { playback.drainAndClose() }
        let blockNanos = 10_000_000.0
        let blockFrames = sampleRate / 100
        var start: UInt64?
        var blocks: UInt64 = 0
        while !thread.isStopping {
            if blocks > 0, let queued = playback.queuedFrames(), queued > 0 {
                // A real-time device: wait while it has enough queued.
                if queued >= Self.leadFrames {
                    CaptureThread.sleep(until: MonotonicClock.now() + 2_000_000)
                    continue
                }
            } else if let start {
                // Not paced by the device: one block per 10 ms after the lead.
                let leadBlocks = UInt64(Self.leadFrames / blockFrames)
                if blocks >= leadBlocks {
                    CaptureThread.sleep(until: start + UInt64(Double(blocks - leadBlocks) * blockNanos))
                }
            }
            if start == nil { start = MonotonicClock.now() }
            var frame = read()
            if frame.channelCount != channelCount || frame.samples.count != blockFrames * channelCount {
                frame.samples = [Int16](repeating: 0, count: blockFrames * channelCount)
            }
            // The far end, as it goes to the speakers (the block queued last plays `lead` later:
            // the cancellers' delay-agnostic mode finds that).
            echoReference?.render(frame)
            do throws(MediaStreamError) {
                try playback.write(frame.samples)
            } catch {
                if thread.markStopping() { onError(error) }
                return
            }
            written.add(Int64(blockFrames), ordering: .relaxed)
            blocks += 1
        }
    }
}
