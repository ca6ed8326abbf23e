import Dispatch
import MediaPrimitives
import Synchronization

/// Runs an encoder on its own serial context with a queue of at most `capacity` waiting
/// frames. When the encoder falls behind, the oldest waiting frame is dropped (in a call,
/// latency beats completeness) and counted. Encoded frames come out of `frames`.
///
/// The encoder is only touched on the worker's serial queue; the Mutex around it makes that
/// ownership transfer checkable by the compiler. The per-frame methods are specialized for
/// Tincan's two encoders: generic, they looked up type metadata (demangling tuple and
/// closure types) on every frame, a few per cent of a sender's CPU.
public final class EncoderWorker<Encoder: QueuedEncoder>: Sendable {
    public struct Statistics: Sendable, Equatable {
        /// Frames handed to `submit`.
        public var submitted = 0
        /// Frames the encoder consumed.
        public var encoded = 0
        /// Frames dropped because the queue was full (the oldest waiting one each time).
        public var dropped = 0
        /// Encoded frames produced.
        public var produced = 0
        public var errors = 0
        public var lastError: CodecError?
        /// The longest the waiting queue ever got (never above `capacity`).
        public var maxQueueDepth = 0
        /// Time spent inside the encoder, ns (webrtc-stats outbound-rtp `totalEncodeTime`):
        /// what the CPU-overuse adaptation compares with the frame interval.
        public var totalEncodeTime: UInt64 = 0
    }

    /// Where `finish()` is: asked for, the encoder being flushed by the drainer, done.
    private enum Finish: Sendable { case none, requested, flushing, done }

    private struct State: Sendable {
        var waiting: [Encoder.Input] = []
        /// Someone drains: the one thread that touches the encoder until it clears this.
        var running = false
        var finish = Finish.none
        /// `finish()`'s callers, resumed by the drainer that flushed the encoder.
        var finishWaiters: [CheckedContinuation<Void, Never>] = []
        var pendingBitrate: Int?
        var keyframe = false
        var changes: [EncoderChange<Encoder>] = []
        var statistics = Statistics()
        /// `deliver(to:)`'s handler.
        var handler: (@Sendable (Encoder.Output) -> Void)?
    }

    public let capacity: Int
    /// The encoder runs on the thread that submits a frame when nothing else is encoding,
    /// instead of on a thread of the worker's own: for a small encoder (Opus: a fraction of a
    /// millisecond per frame) the hop, a wake-up per frame, cost more than the work. Frames
    /// submitted from another thread meanwhile wait in the queue as usual, and the encoder
    /// still runs one frame at a time (whoever drains holds `running`). Only for
    /// a caller whose thread may wait (a paced fake camera leaves frames out meanwhile);
    /// `setRunsOnCaller` changes it when the source does.
    public var runsOnCaller: Bool { callerRuns.load(ordering: .relaxed) }
    private let callerRuns: Atomic<Bool>
    /// Encoded frames in encoding order; finishes after `finish()`.
    public let frames: AsyncStream<Encoder.Output>
    private let continuation: AsyncStream<Encoder.Output>.Continuation
    private let state = Mutex(State())
    /// Used only by the drainer, the one thread that set `running` (the worker's queue, or a
    /// submitting thread when `runsOnCaller`): confined, not locked, so the encoder and the
    /// reconfiguring closures run without any lock held.
    private let encoder: SerialAccess<Encoder>
    private let queue: DispatchQueue

    public init(encoder: sending Encoder, capacity: Int = 2, label: String = "tincan.encoder", runsOnCaller: Bool = false) {
        self.capacity = max(1, capacity)
        callerRuns = Atomic(runsOnCaller)
        self.encoder = SerialAccess(encoder)
        queue = DispatchQueue(label: label, qos: .userInitiated)
        (frames, continuation) = AsyncStream.makeStream(of: Encoder.Output.self, bufferingPolicy: .unbounded)
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Whether `finish()` was called (for tests).
    var finishRequested: Bool { state.withLock { $0.finish != .none } }

    /// Hands every encoded frame to `handler` on the worker's queue, as it comes out of the
    /// encoder, instead of to `frames`: no task to wake per frame (a sender's packets then
    /// take one hop, to its event loop). Set it before the first frame is submitted; what was
    /// encoded before went to `frames`.
    public func deliver(to handler: @escaping @Sendable (Encoder.Output) -> Void) {
        state.withLock { $0.handler = handler }
    }

    /// Out of the worker (on its queue, no lock held): to the handler, or to `frames`.
    @_specialize(where Encoder == VP8Encoder)
    @_specialize(where Encoder == OpusEncoder)
    private func emit(_ outputs: [Encoder.Output]) {
        guard !outputs.isEmpty else { return }
        // Copied out into a local, not returned as `withLock`'s generic result: returned, the
        // closure was wrapped in a reabstraction thunk, an allocation per emitted frame or
        // packet (heaptrack of a release build, docs/performance.md round 11).
        var handler: (@Sendable (Encoder.Output) -> Void)?
        state.withLock { handler = $0.handler }
        if let handler {
            for o in outputs { handler(o) }
        } else {
            for o in outputs { continuation.yield(o) }
        }
    }

    /// Queues a frame without blocking; drops the oldest waiting frame when the queue is full.
    /// Ignored after `finish()`.
    @_specialize(where Encoder == VP8Encoder)
    @_specialize(where Encoder == OpusEncoder)
    public func submit(_ input: Encoder.Input) {
        let start: Bool = state.withLock { s in
            guard s.finish == .none else { return false }
            s.statistics.submitted += 1
            s.waiting.append(input)
            if s.waiting.count > capacity {
                s.waiting.remove(at: 0)  // not removeFirst: that allocates (replaceSubrange)
                s.statistics.dropped += 1
            }
            s.statistics.maxQueueDepth = max(s.statistics.maxQueueDepth, s.waiting.count)
            if s.running { return false }
            s.running = true
            return true
        }
        guard start else { return }
        // On the caller: no queue to hop through (a `DispatchQueue.sync` cost two
        // allocations per frame, the closure and its block).
        if callerRuns.load(ordering: .relaxed) { drain() } else { queue.async { self.drain() } }
    }

    /// From the next frame on (a replaced track's source delivers on another kind of thread).
    public func setRunsOnCaller(_ on: Bool) { callerRuns.store(on, ordering: .relaxed) }

    /// Applied before the next frame is encoded.
    public func setTargetBitrate(_ bitsPerSecond: Int) { state.withLock { $0.pendingBitrate = bitsPerSecond } }

    /// The next encoded frame is a keyframe.
    public func requestKeyframe() { state.withLock { $0.keyframe = true } }

    /// A setting of the encoder's own (Opus FEC, VP8 frame dropping), applied on the
    /// worker before the next frame is encoded.
    public func reconfigure(_ change: @escaping EncoderChange<Encoder>) { state.withLock { $0.changes.append(change) } }

    /// Encodes what is still waiting, flushes the encoder and ends `frames`. The flush runs
    /// on the drainer: a frame being encoded on a caller's thread finishes first.
    public func finish() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let start: Bool? = state.withLock { s in
                if s.finish == .done { return nil }
                if s.finish == .none { s.finish = .requested }
                s.finishWaiters.append(done)
                if s.running { return false }  // the drainer flushes when it is through
                s.running = true
                return true
            }
            switch start {
            case nil: done.resume()
            case true?: queue.async { self.drain() }
            case false?: break
            }
        }
    }

    /// The drainer's last step after `finish()`: flush, the last frames out, `frames` ended,
    /// the finishers resumed.
    @_specialize(where Encoder == VP8Encoder)
    @_specialize(where Encoder == OpusEncoder)
    private func flush() {
        let result: Result<[Encoder.Output], CodecError> = encoder.withValue { encoder in
            do throws(CodecError) { return .success(try encoder.flush()) } catch { return .failure(error) }
        }
        var out: [Encoder.Output] = []
        switch result {
        case .success(let o): out = o
        case .failure(let error): state.withLock { $0.statistics.errors += 1; $0.statistics.lastError = error }
        }
        state.withLock { $0.statistics.produced += out.count }
        emit(out)
        continuation.finish()
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.finish = .done
            s.running = false
            defer { s.finishWaiters = [] }
            return s.finishWaiters
        }
        for w in waiters { w.resume() }
    }

    /// On the drainer (the thread that set `running`): encodes until nothing waits, then
    /// flushes if `finish()` asked.
    @_specialize(where Encoder == VP8Encoder)
    @_specialize(where Encoder == OpusEncoder)
    private func drain() {
        while true {
            var flushNow = false
            let job: (Encoder.Input, Int?, Bool, [EncoderChange<Encoder>])? = state.withLock { s in
                guard !s.waiting.isEmpty else {
                    if s.finish == .requested {
                        s.finish = .flushing  // `running` stays set until the flush is done
                        flushNow = true
                    } else {
                        s.running = false
                    }
                    return nil
                }
                let job = (s.waiting.remove(at: 0), s.pendingBitrate, s.keyframe, s.changes)
                s.pendingBitrate = nil
                s.keyframe = false
                s.changes.removeAll()
                return job
            }
            guard let (input, bitrate, keyframe, changes) = job else {
                if flushNow { flush() }
                return
            }
            let started = MonotonicClock.now()
            let result: Result<[Encoder.Output], CodecError> = encoder.withValue { encoder in
                do throws(CodecError) {
                    for change in changes { try change(encoder) }
                    if let bitrate { try encoder.setTargetBitrate(bitrate) }
                    if keyframe { encoder.requestKeyframe() }
                    return .success(try encoder.encode(input))
                } catch {
                    return .failure(error)
                }
            }
            let took = MonotonicClock.now() &- started
            state.withLock { s in
                s.statistics.encoded += 1
                s.statistics.totalEncodeTime &+= took
                switch result {
                case .success(let out): s.statistics.produced += out.count
                case .failure(let error):
                    s.statistics.errors += 1
                    s.statistics.lastError = error
                }
            }
            if case .success(let out) = result { emit(out) }
        }
    }
}

/// The per-track video encoder context: VP8 frames in, encoded frames out, drops counted.
public typealias VP8EncoderWorker = EncoderWorker<VP8Encoder>
/// The per-track audio encoder context.
public typealias OpusEncoderWorker = EncoderWorker<OpusEncoder>
