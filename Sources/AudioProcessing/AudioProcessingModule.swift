import CAudioProcessingShim
import MediaPrimitives
import Synchronization

/// The microphone processing a track's `echoCancellation`, `noiseSuppression` and
/// `autoGainControl` ask for (W3C Media Capture and Streams §4.3.8), done by WebRTC's audio
/// processing module (libwebrtc-audio-processing, the library PulseAudio's echo-cancel module
/// uses): acoustic echo cancellation against the audio being played out, noise suppression,
/// adaptive digital gain. The one owner of its `webrtc::AudioProcessing`.
///
/// Blocks of 10 ms (what the library takes; `AudioFrame`s from capture are 10 ms). The far end
/// (`analyzeRender`) comes from the playout thread and the near end (`processCapture`) from the
/// capture thread: the library serializes the two inside, so this class holds no lock of its own.
public final class AudioProcessingModule: @unchecked Sendable {
    /// Which processing runs; each one the constraint of the same name.
    public struct Settings: Sendable, Equatable, Hashable {
        public var echoCancellation: Bool
        public var noiseSuppression: Bool
        public var autoGainControl: Bool

        public init(echoCancellation: Bool, noiseSuppression: Bool, autoGainControl: Bool) {
            self.echoCancellation = echoCancellation
            self.noiseSuppression = noiseSuppression
            self.autoGainControl = autoGainControl
        }

        public var processesAnything: Bool { echoCancellation || noiseSuppression || autoGainControl }

        /// All three on (a microphone in a room) or off (a file, the synthetic tone).
        public static let on = Settings(echoCancellation: true, noiseSuppression: true, autoGainControl: true)
        public static let off = Settings(echoCancellation: false, noiseSuppression: false, autoGainControl: false)
    }

    /// The rates the library processes.
    public static let supportedSampleRates: Set<Int> = [8000, 16000, 32000, 48000]

    public let sampleRate: Int
    public let channelCount: Int
    public let settings: Settings
    private let handle: OpaquePointer

    /// Blocks the library refused (a wrong size or its own error): counted, the block passes unprocessed.
    public var failures: Int { failureCount.load(ordering: .relaxed) }
    private let failureCount = Atomic<Int>(0)
    /// Frames of another rate or channel count than the module's: counted; a near-end one
    /// passes as it was (a device that delivers other than it was opened for).
    public var mismatchedFrames: Int { mismatchCount.load(ordering: .relaxed) }
    private let mismatchCount = Atomic<Int>(0)

    private let reference: EchoCancellationReference?

    /// - Parameter reference: where the far end comes from when echo cancellation is on (the
    ///   process's playout by default; nil to feed `analyzeRender` yourself).
    public init(sampleRate: Int, channelCount: Int, settings: Settings,
                reference: EchoCancellationReference? = .shared) throws(AudioProcessingError) {
        guard Self.supports(sampleRate: sampleRate, channelCount: channelCount) else {
            throw AudioProcessingError(message: "audio processing takes 8, 16, 32 or 48 kHz with 1 or 2 channels, not \(sampleRate) Hz with \(channelCount)")
        }
        guard let handle = tincan_apm_create(Int32(sampleRate), Int32(channelCount), settings.echoCancellation ? 1 : 0,
                                             settings.noiseSuppression ? 1 : 0, settings.autoGainControl ? 1 : 0)
        else { throw AudioProcessingError(message: "webrtc-audio-processing refused \(sampleRate) Hz, \(channelCount) channel(s)") }
        self.handle = handle
        self.sampleRate = sampleRate
        self.channelCount = channelCount
        self.settings = settings
        self.reference = settings.echoCancellation ? reference : nil
        self.reference?.register(self)
    }

    deinit {
        reference?.unregister(ObjectIdentifier(self))
        tincan_apm_destroy(handle)
    }

    /// Whether the library processes audio of this rate and channel count.
    public static func supports(sampleRate: Int, channelCount: Int) -> Bool {
        supportedSampleRates.contains(sampleRate) && (1...2).contains(channelCount)
    }

    /// Frames per channel in one 10 ms block.
    public var blockFrames: Int { sampleRate / 100 }

    /// The far end as it is played out: what the echo canceller removes from the microphone.
    public func analyzeRender(_ frame: AudioFrame) {
        guard settings.echoCancellation else { return }
        guard frame.sampleRate == sampleRate, frame.channelCount == channelCount else {
            mismatchCount.add(1, ordering: .relaxed)
            return
        }
        forEachBlock(of: frame.samples.count) { start, count in
            frame.samples.withUnsafeBufferPointer { p in
                guard let base = p.baseAddress else { return }
                if tincan_apm_analyze_render(handle, base + start, count / channelCount) != 0 { failureCount.add(1, ordering: .relaxed) }
            }
        }
    }

    /// The near end, processed in place. `delayMilliseconds`: how long after being played the
    /// far end reaches the microphone (the output's buffering plus the input's); the library's
    /// delay-agnostic mode refines it.
    /// A frame of another format than the module's passes as it is (counted in `mismatchedFrames`).
    public func processCapture(_ frame: inout AudioFrame, delayMilliseconds: Int = 0) {
        guard settings.processesAnything else { return }
        guard frame.sampleRate == sampleRate, frame.channelCount == channelCount else {
            mismatchCount.add(1, ordering: .relaxed)
            return
        }
        let total = frame.samples.count
        forEachBlock(of: total) { start, count in
            frame.samples.withUnsafeMutableBufferPointer { p in
                guard let base = p.baseAddress else { return }
                if tincan_apm_process_capture(handle, base + start, count / channelCount, Int32(clamping: delayMilliseconds)) != 0 {
                    failureCount.add(1, ordering: .relaxed)
                }
            }
        }
    }

    /// The echo canceller's own view since the last call: the echo path's delay it found and
    /// its ERLE; nil when echo cancellation is off or it has no figures yet.
    public func echoMetrics() -> (delayMilliseconds: Int, delaySpreadMilliseconds: Int, erleDecibels: Int)? {
        var median: Int32 = 0, spread: Int32 = 0, erle: Int32 = 0
        guard tincan_apm_echo_metrics(handle, &median, &spread, &erle) == 0 else { return nil }
        return (Int(median), Int(spread), Int(erle))
    }

    /// 10 ms blocks of interleaved samples; a trailing partial block is left as it is (counted).
    private func forEachBlock(of total: Int, _ body: (_ start: Int, _ count: Int) -> Void) {
        let block = blockFrames * channelCount
        var start = 0
        while start + block <= total {
            body(start, block)
            start += block
        }
        if start < total { failureCount.add(1, ordering: .relaxed) }
    }
}

/// Why the audio processing could not be set up.
public struct AudioProcessingError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
