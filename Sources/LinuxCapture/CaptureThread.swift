#if canImport(Glibc)
import Glibc
#endif

/// A plain POSIX thread for a blocking device loop (DESIGN.md: capture never blocks the
/// Swift cooperative pool). Foundation-free so the in-VM check binary stays small.
enum CaptureThread {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts `body` on a new joinable thread; nil when the system refuses one.
    static func spawn(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            guard let arg else { return nil }
            let body = Unmanaged<Body>.fromOpaque(arg).takeRetainedValue()
            body.run()
            return nil
        }, context)
        if rc != 0 {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        return thread
    }

    /// Waits for `thread` unless it is the calling thread (a stop() from inside a frame
    /// callback), which is detached instead so it can finish on its own.
    static func finish(_ thread: pthread_t) {
        if pthread_equal(thread, pthread_self()) != 0 {
            pthread_detach(thread)
        } else {
            pthread_join(thread, nil)
        }
    }

    /// Sleeps until `deadline` on CLOCK_MONOTONIC (the clock of `MonotonicClock`).
    static func sleep(until deadline: UInt64) {
        var ts = timespec(
            tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }
}
