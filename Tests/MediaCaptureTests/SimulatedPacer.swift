import Synchronization
@testable import MediaCapture

/// A simulated capture clock: every pacing started on it (fake devices, a track's grace timer
/// and filler) ticks only when the test advances the clock, in deadline order, on the test's
/// own thread. Time-dependent checks then assert exact figures instead of wall-clock windows.
final class SimulatedPacer: CapturePacer {
    private final class Pacing: CapturePacing {
        let start: UInt64
        let interval: UInt64
        let tick: @Sendable (Int, UInt64) -> Bool
        let stopped = Atomic<Bool>(false)
        /// The next tick's number; touched only under the pacer's lock.
        nonisolated(unsafe) var n = 0
        init(start: UInt64, interval: UInt64, tick: @escaping @Sendable (Int, UInt64) -> Bool) {
            self.start = start
            self.interval = interval
            self.tick = tick
        }
        var deadline: UInt64 { start + UInt64(n) * interval }
        func stop() { stopped.store(true, ordering: .releasing) }
    }

    private struct State {
        var now: UInt64
        var pacings: [Pacing] = []
    }
    private let state: Mutex<State>

    /// Starts at `now` ns on the capture clock (frame timestamps are these deadlines).
    init(now: UInt64 = 1_000_000_000) { state = Mutex(State(now: now)) }

    var now: UInt64 { state.withLock { $0.now } }

    func start(interval: UInt64, tick: @escaping @Sendable (Int, UInt64) -> Bool) -> any CapturePacing {
        state.withLock { s in
            let p = Pacing(start: s.now, interval: max(interval, 1), tick: tick)
            s.pacings.append(p)
            return p
        }
    }

    /// Runs every tick due up to `now + seconds` (the first tick of a pacing is due when it
    /// starts), earliest first; the clock reads each tick's deadline while it runs.
    func advance(by seconds: Double) {
        let end = state.withLock { $0.now } + UInt64((seconds * 1e9).rounded())
        while true {
            let due = state.withLock { s -> (Pacing, Int, UInt64)? in
                s.pacings.removeAll { $0.stopped.load(ordering: .acquiring) }
                guard let p = s.pacings.min(by: { $0.deadline < $1.deadline }), p.deadline <= end else { return nil }
                let n = p.n, deadline = p.deadline
                p.n += 1
                s.now = max(s.now, deadline)
                return (p, n, deadline)
            }
            guard let (pacing, n, deadline) = due else { break }
            // Outside the lock: a tick may start or stop pacings.
            if !pacing.tick(n, deadline) { pacing.stop() }
        }
        state.withLock { $0.now = end }
    }
}
