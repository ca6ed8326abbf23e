import MediaPrimitives
import Synchronization

/// An encoder called directly by its one user (a simulated call's event loop), with the same
/// bitrate and keyframe requests as `EncoderWorker` but no thread and no queue: the frame is
/// encoded when it is handed over, so a simulated clock sees no encoding time.
public final class InlineEncoder<Encoder: QueuedEncoder>: Sendable {
    private struct State: Sendable {
        var pendingBitrate: Int?
        var keyframe = false
        var changes: [EncoderChange<Encoder>] = []
        var statistics = EncoderWorker<Encoder>.Statistics()
    }

    /// Used only by `encode`, called by the one user: confined, not locked (the encoder and
    /// the reconfiguring closures run without any lock held).
    private let encoder: SerialAccess<Encoder>
    private let state = Mutex(State())

    public init(_ encoder: sending Encoder) {
        self.encoder = SerialAccess(encoder)
    }

    public var statistics: EncoderWorker<Encoder>.Statistics { state.withLock { $0.statistics } }

    /// Applied before the next frame is encoded.
    public func setTargetBitrate(_ bitsPerSecond: Int) { state.withLock { $0.pendingBitrate = bitsPerSecond } }
    /// The next encoded frame is a keyframe.
    public func requestKeyframe() { state.withLock { $0.keyframe = true } }
    /// A setting of the encoder's own (Opus FEC, VP8 frame dropping), applied before the
    /// next frame is encoded.
    public func reconfigure(_ change: @escaping EncoderChange<Encoder>) { state.withLock { $0.changes.append(change) } }

    /// Encodes one frame now; errors are counted (and the last one kept), not thrown, like
    /// the worker's.
    public func encode(_ input: Encoder.Input) -> [Encoder.Output] {
        let (bitrate, keyframe, changes) = state.withLock { s in
            defer { s.pendingBitrate = nil; s.keyframe = false; s.changes.removeAll(); s.statistics.submitted += 1 }
            return (s.pendingBitrate, s.keyframe, s.changes)
        }
        let result: Result<[Encoder.Output], CodecError> = encoder.withValue { e in
            do throws(CodecError) {
                for change in changes { try change(e) }
                if let bitrate { try e.setTargetBitrate(bitrate) }
                if keyframe { e.requestKeyframe() }
                return .success(try e.encode(input))
            } catch {
                return .failure(error)
            }
        }
        return state.withLock { s in
            switch result {
            case .success(let out):
                s.statistics.encoded += 1
                s.statistics.produced += out.count
                return out
            case .failure(let error):
                s.statistics.errors += 1
                s.statistics.lastError = error
                return []
            }
        }
    }
}
