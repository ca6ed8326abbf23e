import Synchronization

/// A value that one thread at a time uses by construction (the work items of a serial queue,
/// the tasks of one event loop), handed between threads: the codecs, whose C state must not be
/// touched concurrently and whose calls must not run under a lock. Unlike a `Mutex` nothing
/// waits here, so a call out of `withValue` (a codec, a reconfiguring closure) cannot deadlock
/// or hold up another thread; entering from two threads at once is a programming error (the
/// confinement is broken) and stops the program. The acquire/release pair makes each user see
/// what the previous one wrote.
public final class SerialAccess<Value: ~Copyable>: @unchecked Sendable {
    private var value: Value
    private let inUse = Atomic<Bool>(false)

    public init(_ value: consuming sending Value) { self.value = value }

    public func withValue<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        let entered = inUse.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        precondition(entered, "SerialAccess<\(Value.self)> used from two threads at once")
        defer { inUse.store(false, ordering: .releasing) }
        return try body(&value)
    }
}
