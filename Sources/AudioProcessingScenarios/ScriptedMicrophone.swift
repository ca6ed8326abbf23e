import MediaCapture
import MediaPrimitives
import Synchronization

/// A microphone whose frames its caller hands it (`deliver`), on the caller's thread: the
/// caller is its clock, so a scenario runs at the speed of its computation and gives the same
/// figures on every run. It offers one format and every processing setting.
public final class ScriptedMicrophone: AudioCaptureDevice {
    public let deviceId = "scripted-microphone"
    public let groupId = "scripted"
    public let label: String
    public let capabilities: AudioDeviceCapabilities
    public let defaultMode: AudioMode
    private let session = Mutex<Session?>(nil)

    private final class Session: CaptureSession {
        let onFrame: @Sendable (AudioFrame) -> Void
        let owner: ScriptedMicrophone
        init(onFrame: @escaping @Sendable (AudioFrame) -> Void, owner: ScriptedMicrophone) {
            self.onFrame = onFrame
            self.owner = owner
        }
        func stop() { owner.session.withLock { if $0 === self { $0 = nil } } }
    }

    public init(sampleRate: Int = 48_000, channelCount: Int = 1, label: String = "Scripted microphone") {
        self.label = label
        capabilities = AudioDeviceCapabilities(sampleRates: [sampleRate], sampleSizes: [16], channelCounts: [channelCount])
        defaultMode = AudioMode(sampleRate: sampleRate, channelCount: channelCount)
    }

    public func start(mode: AudioMode, onFrame: @escaping @Sendable (AudioFrame) -> Void,
                      onEnd: @escaping CaptureEndHandler) throws(MediaStreamError) -> CaptureSession {
        guard mode == defaultMode else {
            throw MediaStreamError(.notReadableError, "\(label) is \(defaultMode.sampleRate) Hz x\(defaultMode.channelCount) only")
        }
        let s = Session(onFrame: onFrame, owner: self)
        let busy = session.withLock { current -> Bool in
            if current != nil { return true }
            current = s
            return false
        }
        if busy { throw MediaStreamError(.notReadableError, "\(label) is open already") }
        return s
    }

    /// Hands one frame to the track that has the device open; false when none has.
    @discardableResult
    public func deliver(_ frame: AudioFrame) -> Bool {
        guard let s = session.withLock({ $0 }) else { return false }
        s.onFrame(frame)
        return true
    }
}
