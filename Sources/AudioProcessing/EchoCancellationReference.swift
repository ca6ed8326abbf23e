import MediaPrimitives
import Synchronization

/// What the echo cancellers cancel: the audio this process plays out. A browser's echo
/// canceller takes the user agent's own output as the far end (W3C Media Capture and Streams,
/// `echoCancellation`); here the playout hands each block it writes to `render(_:)`, and every
/// live `AudioProcessingModule` with echo cancellation takes it (`analyzeRender`).
public final class EchoCancellationReference: Sendable {
    public static let shared = EchoCancellationReference()

    private struct Entry: Sendable { weak var module: AudioProcessingModule? }
    private let modules = Mutex<[ObjectIdentifier: Entry]>([:])
    /// Blocks no canceller could take (another sample rate or channel count): counted.
    private let mismatched = Atomic<Int>(0)
    private let rendered = Atomic<Int>(0)

    public init() {}

    /// One block as it goes to the speakers. Called from the playout thread; the cancellers
    /// are called outside the lock.
    public func render(_ frame: AudioFrame) {
        // Nothing to copy while no canceller listens (the playout calls this every 10 ms).
        guard let live = modules.withLock({ m in m.isEmpty ? nil : m.values.compactMap(\.module) }) else { return }
        rendered.add(1, ordering: .relaxed)
        for module in live {
            if module.sampleRate == frame.sampleRate && module.channelCount == frame.channelCount {
                module.analyzeRender(frame)
            } else {
                mismatched.add(1, ordering: .relaxed)
            }
        }
    }

    /// Blocks rendered while some canceller listened.
    public var renderedBlocks: Int { rendered.load(ordering: .relaxed) }

    /// Rendered blocks a canceller could not take (its format differs from the playout's).
    public var mismatchedBlocks: Int { mismatched.load(ordering: .relaxed) }

    /// True while some canceller listens (the playout may skip the copy otherwise).
    public var hasListeners: Bool { modules.withLock { m in m.values.contains { $0.module != nil } } }

    func register(_ module: AudioProcessingModule) {
        modules.withLock { $0[ObjectIdentifier(module)] = Entry(module: module) }
    }

    func unregister(_ id: ObjectIdentifier) {
        _ = modules.withLock { $0.removeValue(forKey: id) }
    }
}
