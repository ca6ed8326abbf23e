import MediaCapture
import MediaPrimitives
import Synchronization

/// Gathers what a capture thread delivers, for the checks to inspect.
final class Collector<Frame: Sendable>: Sendable {
    private struct State {
        var frames: [Frame] = []
        var arrivals: [UInt64] = []
        var ended: MediaStreamError?? = nil
        var keep = 400
    }
    private let state = Mutex(State())
    private let onEach: (@Sendable (Frame) -> Void)?

    init(keep: Int = 400, onEach: (@Sendable (Frame) -> Void)? = nil) {
        self.onEach = onEach
        state.withLock { $0.keep = keep }
    }

    var frames: [Frame] { state.withLock { $0.frames } }
    var arrivals: [UInt64] { state.withLock { $0.arrivals } }
    var count: Int { state.withLock { $0.frames.count } }
    /// nil while running; .some(error) once the capture ended on its own.
    var ended: MediaStreamError?? { state.withLock { $0.ended } }

    func add(_ frame: Frame) {
        let now = MonotonicClock.now()
        state.withLock {
            if $0.frames.count < $0.keep {
                $0.frames.append(frame)
                $0.arrivals.append(now)
            }
        }
        onEach?(frame)
    }

    func end(_ error: MediaStreamError?) { state.withLock { $0.ended = .some(error) } }

    func clear() {
        state.withLock {
            $0.frames = []
            $0.arrivals = []
        }
    }

    /// Polls until `condition` holds or `seconds` pass; returns whether it held.
    func wait(seconds: Double, until condition: (Collector) -> Bool) -> Bool {
        let deadline = MonotonicClockSeconds.now() + seconds
        while MonotonicClockSeconds.now() < deadline {
            if condition(self) { return true }
            sleepSeconds(0.005)
        }
        return condition(self)
    }
}
