import MediaPrimitives
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A plain POSIX thread for a blocking device loop (docs/DESIGN.md, "Threads": capture never
/// blocks the Swift cooperative pool). Foundation-free so the in-VM check binary stays small.
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

/// The thread of one capture session and its stop flag, shared by the V4L2 and ALSA
/// sessions: start, stop (set the flag, then join), and the detach that a session dropped
/// without stop() needs (it can only be, once its thread has exited after an end).
final class CaptureThreadHandle: Sendable {
    private let stopping = Atomic<Bool>(false)
    private let thread = Mutex<pthread_t?>(nil)

    var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) }

    /// Sets the stop flag; false if it was already set, so an end is reported once.
    func markStopping() -> Bool { !stopping.exchange(true, ordering: .sequentiallyConsistent) }

    /// Starts `body` on its thread; false when the system refuses one.
    func start(_ body: @escaping @Sendable () -> Void) -> Bool {
        guard let tid = CaptureThread.spawn(body) else { return false }
        thread.withLock { $0 = tid }
        return true
    }

    /// Asks the loop to stop and waits for its thread (see `CaptureThread.finish`).
    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        if let tid = thread.withLock({ t -> pthread_t? in defer { t = nil }; return t }) {
            CaptureThread.finish(tid)
        }
    }

    deinit {
        if let tid = thread.withLock({ $0 }) { pthread_detach(tid) }
    }
}
