#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A thread of its own that calls `tick` at a fixed interval on the monotonic clock, the way
/// a real device delivers: fake devices pace themselves so a 30 fps camera gives one frame
/// every 33.3 ms (absolute deadlines, so timing errors do not accumulate). The cooperative
/// pool is never blocked.
public final class PacedThread: Sendable {
    private let running = RunFlag()
        private let thread: Mutex<pthread_t?> = Mutex(nil)

    /// Starts at once; `tick(n, deadline)` is called for n = 0, 1, 2, ... with the deadline
    /// (monotonic ns) it was due at. Return false from `tick` to end the thread.
    public init(interval nanoseconds: UInt64, tick: @escaping @Sendable (Int, UInt64) -> Bool) {
        let box = ThreadBody { [running] in
            let start = MonotonicClock.now()
            var n = 0
            while running.value.load(ordering: .acquiring) {
                let deadline = start &+ UInt64(n) &* nanoseconds
                PacedThread.sleep(until: deadline)
                guard running.value.load(ordering: .acquiring) else { break }
                if !tick(n, deadline) { break }
                n += 1
            }
        }
        let unmanaged = Unmanaged.passRetained(box)
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            guard let arg else { return nil }
            let body = Unmanaged<ThreadBody>.fromOpaque(arg).takeRetainedValue()
            body.run()
            return nil
        }, unmanaged.toOpaque())
        if rc == 0 {
            thread.withLock { $0 = tid }
        } else {
            unmanaged.release()
        }
    }

    /// Stops the thread and waits for it (unless called from the thread itself).
    public func stop() {
        running.value.store(false, ordering: .releasing)
        let tid: pthread_t? = thread.withLock { t in
            defer { t = nil }
            return t
        }
        guard let tid else { return }
        if pthread_equal(tid, pthread_self()) != 0 {
            pthread_detach(tid)
        } else {
            pthread_join(tid, nil)
        }
    }

    deinit { stop() }

    static func sleep(until deadline: UInt64) {
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        #if canImport(Glibc)
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
        #else
        let now = MonotonicClock.now()
        if deadline > now { usleep(useconds_t((deadline - now) / 1000)) }
        _ = ts
        #endif
    }
}

/// The closure a thread runs, boxed to pass through pthread_create's void pointer.
private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// The shared "keep running" flag between a PacedThread and its owner.
private final class RunFlag: Sendable {
    let value = Atomic<Bool>(true)
}

/// Runs `body` once on a new detached thread (for blocking work such as a terminal prompt,
/// which must not block the cooperative pool). Returns false if no thread could be made.
@discardableResult
public func runOnOwnThread(_ body: @escaping @Sendable () -> Void) -> Bool {
    let unmanaged = Unmanaged.passRetained(OneShotBody(body))
    var tid = pthread_t()
    let rc = pthread_create(&tid, nil, { arg in
        guard let arg else { return nil }
        Unmanaged<OneShotBody>.fromOpaque(arg).takeRetainedValue().run()
        return nil
    }, unmanaged.toOpaque())
    guard rc == 0 else { unmanaged.release(); return false }
    pthread_detach(tid)
    return true
}

private final class OneShotBody: Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}
