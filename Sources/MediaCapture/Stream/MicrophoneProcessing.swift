import AudioProcessing
import Logging
import MediaPrimitives
import Synchronization

/// How the microphone tracks of a `MediaDevices` process their audio
/// (`MediaDevices.Options.audioProcessing`).
public struct AudioProcessingOptions: Sendable {
    /// Where the echo cancellers take the far end from: the audio this process plays out
    /// (`EchoCancellationReference.shared`, which the playout feeds), or a test's own.
    public var echoReference: EchoCancellationReference
    /// The echo path's delay the canceller is told, ms (the output's queue plus the input's);
    /// the library's delay-agnostic mode finds the real one.
    public var streamDelayMilliseconds: Int

    public init(echoReference: EchoCancellationReference = .shared, streamDelayMilliseconds: Int = 0) {
        self.echoReference = echoReference
        self.streamDelayMilliseconds = streamDelayMilliseconds
    }
}

/// What a microphone track's processing did (`MediaStreamTrack.audioProcessing`), since its
/// settings last changed.
public struct AudioProcessingStatistics: Sendable, Equatable {
    /// The processing that runs: the track's `echoCancellation`, `noiseSuppression` and
    /// `autoGainControl` settings.
    public var settings: AudioProcessingModule.Settings
    public var sampleRate: Int
    public var channelCount: Int
    /// Frames that went through the module.
    public var framesProcessed: Int
    /// Frames of another format than the track's mode: delivered unprocessed (logged).
    public var framesUnprocessed: Int
    /// 10 ms blocks the library refused, delivered unprocessed.
    public var failures: Int
}

/// The processing of one microphone track: `echoCancellation`, `noiseSuppression` and
/// `autoGainControl` (W3C Media Capture and Streams §"MediaTrackSettings": the track's audio
/// is what the settings say, so the processing happens in the track, before any sink) by one
/// `AudioProcessingModule`, made for the track's mode and settings. A track whose three
/// settings are false has none (nothing runs); a change of settings makes a new one.
final class MicrophoneProcessing: Sendable {
    static let log = Logger(label: "tincan.capture")

    let settings: AudioProcessingModule.Settings
    let mode: AudioMode
    private let module: AudioProcessingModule
    private let delayMilliseconds: Int
    private let processed = Atomic<Int>(0)
    private let unprocessed = Atomic<Int>(0)

    private init(module: AudioProcessingModule, mode: AudioMode, delayMilliseconds: Int) {
        self.module = module
        self.settings = module.settings
        self.mode = mode
        self.delayMilliseconds = delayMilliseconds
    }

    /// The settings' three processing members (absent: off).
    static func settings(of s: MediaTrackSettings) -> AudioProcessingModule.Settings {
        .init(echoCancellation: s.echoCancellation ?? false, noiseSuppression: s.noiseSuppression ?? false,
              autoGainControl: s.autoGainControl ?? false)
    }

    /// The processing for `settings` in `mode`: `current` again when it already is that (the
    /// echo canceller keeps what it learned), nil when nothing is to be processed. A module
    /// the library refuses is logged and the track goes unprocessed (SelectSettings offers
    /// processing only in the formats the library takes, so this is its own failure).
    static func make(for settings: MediaTrackSettings, mode: AudioMode?, options: AudioProcessingOptions,
                     reusing current: MicrophoneProcessing? = nil) -> MicrophoneProcessing? {
        let wanted = Self.settings(of: settings)
        guard let mode, wanted.processesAnything else { return nil }
        if let current, current.settings == wanted, current.mode == mode { return current }
        do {
            let module = try AudioProcessingModule(sampleRate: mode.sampleRate, channelCount: mode.channelCount, settings: wanted,
                                                   reference: options.echoReference)
            return MicrophoneProcessing(module: module, mode: mode, delayMilliseconds: options.streamDelayMilliseconds)
        } catch {
            log.error("microphone processing (echoCancellation \(wanted.echoCancellation), noiseSuppression \(wanted.noiseSuppression), autoGainControl \(wanted.autoGainControl)) cannot run: \(error); the track's audio goes unprocessed")
            return nil
        }
    }

    /// Processes one frame in place, on the device's thread. A frame of another format than
    /// the mode passes as it is, counted, and logged the first time and every 500th (5 s).
    func process(_ frame: inout AudioFrame) {
        guard frame.sampleRate == mode.sampleRate, frame.channelCount == mode.channelCount else {
            let n = unprocessed.add(1, ordering: .relaxed).newValue
            if n == 1 || n % 500 == 0 {
                Self.log.warning("microphone processing takes \(mode.sampleRate) Hz x\(mode.channelCount), a frame came as \(frame.sampleRate) Hz x\(frame.channelCount): delivered unprocessed (\(n) so far)")
            }
            return
        }
        module.processCapture(&frame, delayMilliseconds: delayMilliseconds)
        processed.add(1, ordering: .relaxed)
    }

    var statistics: AudioProcessingStatistics {
        AudioProcessingStatistics(settings: settings, sampleRate: mode.sampleRate, channelCount: mode.channelCount,
                                  framesProcessed: processed.load(ordering: .relaxed),
                                  framesUnprocessed: unprocessed.load(ordering: .relaxed),
                                  failures: module.failures)
    }
}
