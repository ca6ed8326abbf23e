#if canImport(Glibc)
import Glibc
#endif

/// The per-thread malloc counter that scripts/measure-rtp-allocations preloads
/// (scripts/rtp-alloc-counter.c), for the steady-state allocation tests of every suite named
/// `*AllocationTests`. Without the preload the tests only run their path; with
/// TINCAN_ALLOCATION_COUNTER=required (the script sets it) a counter that did not load is a
/// failure, so the check can fail.
public enum AllocationCounter {
    public typealias CountFunction = @convention(c) () -> Int

    /// The counter of this thread's allocations; nil when not preloaded. Resolve it once
    /// before measuring: dlsym itself allocates.
    public static var counter: CountFunction? {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "tincan_thread_allocation_count") else { return nil }
        return unsafeBitCast(symbol, to: CountFunction.self)
        #else
        return nil
        #endif
    }

    /// True when the test command preloaded the counter and a missing one must fail the test.
    public static var required: Bool {
        guard let value = getenv("TINCAN_ALLOCATION_COUNTER") else { return false }
        return String(cString: value) == "required"
    }
}
