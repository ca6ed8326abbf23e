import Synchronization

/// The hand-off between a producer that must never wait (the decoder's thread, a camera's
/// thread) and the window's thread, which shows only the newest picture: one value, replaced
/// on `put` (drop-oldest). A replaced value that was never taken is a drop, counted.
public final class LatestFrameSlot<Value: Sendable>: Sendable {
    /// What went through the slot: offered = taken + dropped + (1 if a value waits).
    public struct Counters: Sendable, Equatable {
        public var offered: Int64 = 0
        public var taken: Int64 = 0
        /// Replaced before the consumer took them: the window was slower than the producer.
        public var dropped: Int64 = 0
    }

    private struct State {
        var value: Value?
        var counters = Counters()
    }

    private let state = Mutex(State())

    public init() {}

    /// Never blocks beyond the lock; the value it replaces is released after the lock.
    public func put(_ value: Value) {
        // The replaced value is the closure's result, freed by the caller after the lock.
        _ = state.withLock { s -> Value? in
            s.counters.offered += 1
            let old = s.value.take()
            if old != nil { s.counters.dropped += 1 }
            s.value = value
            return old
        }
    }

    /// The newest value, if one came since the last take.
    public func take() -> Value? {
        state.withLock { s in
            let v = s.value.take()
            if v != nil { s.counters.taken += 1 }
            return v
        }
    }

    public var counters: Counters { state.withLock { $0.counters } }
}
