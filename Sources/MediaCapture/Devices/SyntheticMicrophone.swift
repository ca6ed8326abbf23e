import AudioProcessing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MediaPrimitives
import Synchronization

/// The built-in fake microphone: a sine tone (440 Hz by default) at a quarter of full scale,
/// delivered as 10 ms frames, two every 20 ms (`MicrophonePeriod`), in real time on a thread
/// of its own.
public final class SyntheticMicrophone: AudioCaptureDevice {
    public let deviceId: String
    public let groupId: String
    public let label: String
    public let capabilities: AudioDeviceCapabilities
    public let defaultMode: AudioMode
    /// Off unless given: a pure tone has no echo, room noise or level to fix. A devices file
    /// that stands in for a real microphone passes `.on`.
    public let processingDefaults: AudioProcessingDefaults
    public let frequency: Double
    public let startError: MediaStreamError?
    /// Real time by default; a simulated call passes its loop's clock.
    public let pacer: any CapturePacer
    private let registry = SessionRegistry()

    public init(deviceId: String = "fake-microphone", groupId: String = "fake-group", label: String = "Tincan synthetic microphone (440 Hz)",
                capabilities: AudioDeviceCapabilities = AudioDeviceCapabilities(sampleRates: [48000, 44100, 16000]),
                defaultMode: AudioMode? = nil, processingDefaults: AudioProcessingDefaults = .off,
                frequency: Double = 440, startError: MediaStreamError? = nil,
                pacer: any CapturePacer = RealTimePacer()) {
        self.pacer = pacer
        self.processingDefaults = processingDefaults
        self.deviceId = deviceId
        self.groupId = groupId
        self.label = label
        self.capabilities = capabilities
        self.defaultMode = defaultMode ?? AudioMode(
            sampleRate: capabilities.sampleRates.contains(48000) ? 48000 : (capabilities.sampleRates.first ?? 48000),
            sampleSize: capabilities.sampleSizes.first ?? 16,
            channelCount: capabilities.channelCounts.contains(1) ? 1 : (capabilities.channelCounts.first ?? 1))
        self.frequency = frequency
        self.startError = startError
    }

    public var openSessionCount: Int { registry.count }
    public func simulateEnd(_ error: MediaStreamError? = nil) { registry.endAll(error) }

    public func start(mode: AudioMode, onFrame: @escaping @Sendable (AudioFrame) -> Void,
                      onEnd: @escaping CaptureEndHandler) throws(MediaStreamError) -> CaptureSession {
        if let startError { throw startError }
        if let problem = CaptureLimits.check(mode, "the mode") {
            throw MediaStreamError(.notReadableError, "\(label) cannot open \(mode.sampleRate) Hz x\(mode.channelCount): \(problem)")
        }
        let session = PacedSession(onEnd: onEnd, onStop: {})
        registry.add(session)
        let rate = mode.sampleRate, channels = mode.channelCount, f = frequency
        let perFrame = rate / 100
        // The frames' buffers, reused once the sinks let go of them (AudioFramePool).
        let pool = Mutex(AudioFramePool())
        let thread = MicrophonePeriod.start(pacer) { n, timestamp in
            let frame = pool.withLock { pool in
                pool.makeFrame(sampleRate: rate, channelCount: channels, frameCount: perFrame, timestamp: timestamp) { samples in
                    let base = n * perFrame
                    for i in 0..<perFrame {
                        // Phase from the absolute sample index, so frames join without clicks.
                        let t = Double((base + i) % rate) / Double(rate)
                        let s = Int16(8192 * sin(2 * Double.pi * f * t))
                        for c in 0..<channels { samples[i * channels + c] = s }
                    }
                }
            }
            onFrame(frame)
        }
        session.attach(thread)
        return RegisteredSession(session, registry)
    }
}
