#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MediaPrimitives
import Synchronization

/// A thread of its own that calls `tick` at a fixed interval on the monotonic clock, the way
/// a real device delivers: fake devices pace themselves so a 30 fps camera gives one frame
/// every 33.3 ms (absolute deadlines, so timing errors do not accumulate). The cooperative
/// pool is never blocked. The wait between ticks ends at once on `stop()`, so a source whose
/// next frame is far away (a Y4M file at 0.1 fps) still stops when asked.
public final class PacedThread: Sendable {
    private let sleeper = InterruptibleSleep()
    private let thread: Mutex<pthread_t?> = Mutex(nil)

    /// Starts at once; `tick(n, deadline)` is called for n = 0, 1, 2, ... with the deadline
    /// (monotonic ns) it was due at. Return false from `tick` to end the thread. A tick that
    /// took longer than the interval makes the next ones late: they run at once, one after
    /// the other (a microphone's samples must all come), or with `skippingLateTicks` the
    /// ones whose time has passed are left out (`CapturePacer.start(interval:skippingLateTicks:tick:)`).
    public init(interval nanoseconds: UInt64, skippingLateTicks: Bool = false, tick: @escaping @Sendable (Int, UInt64) -> Bool) {
        let interval = max(nanoseconds, 1)
        let box = ThreadBody { [sleeper] in
            let start = MonotonicClock.now()
            var n = 0
            while true {
                if skippingLateTicks {
                    // The latest tick due now; those before it are gone.
                    let due = Int((MonotonicClock.now() &- start) / interval)
                    if due > n { n = due }
                }
                let deadline = start &+ UInt64(n) &* interval
                guard sleeper.sleep(until: deadline) else { break }
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

    /// Stops the thread and waits for it (unless called from the thread itself): a wait for
    /// the next deadline is cut short.
    public func stop() {
        sleeper.wake()
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
}

/// A sleep until a deadline on the monotonic clock that `wake()` ends early, for good: once
/// woken, every later `sleep` returns false at once. The one owner of its pthread mutex and
/// condition variable (a condition variable is the primitive that is both timed and
/// wakeable; Synchronization has none).
final class InterruptibleSleep: @unchecked Sendable {
    // @unchecked: `woken` is only read and written with `mutex` held.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var woken = false

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if canImport(Glibc)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Waits until `deadline` (MonotonicClock ns); true when the deadline came, false when
    /// woken.
    func sleep(until deadline: UInt64) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        #if canImport(Glibc)
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        #else
        // Darwin's condition variables wait on the wall clock: move the deadline there.
        let now = MonotonicClock.now()
        var wall = timespec()
        clock_gettime(CLOCK_REALTIME, &wall)
        let at = UInt64(wall.tv_sec) * 1_000_000_000 + UInt64(wall.tv_nsec) + (deadline > now ? deadline - now : 0)
        var ts = timespec(tv_sec: Int(at / 1_000_000_000), tv_nsec: Int(at % 1_000_000_000))
        #endif
        while !woken {
            if pthread_cond_timedwait(condition, mutex, &ts) == ETIMEDOUT { return !woken }
        }
        return false
    }

    /// Ends the current and every later sleep.
    func wake() {
        pthread_mutex_lock(mutex)
        woken = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }
}

/// The closure a thread runs, boxed to pass through pthread_create's void pointer.
private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
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
