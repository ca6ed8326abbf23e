/// What paces a fake device's frames and a track's own timers: real time on a thread of its
/// own (`PacedThread`, the default), or a test's simulated clock, so that a whole call can run
/// in simulated time with the same synthetic camera and microphone.
public protocol CapturePacer: Sendable {
    /// Calls `tick(n, deadline)` for n = 0, 1, 2, ... every `interval` nanoseconds of the
    /// pacer's clock (deadline: the tick's time on the capture clock) until `tick` returns
    /// false or the returned pacing is stopped.
    func start(interval: UInt64, tick: @escaping @Sendable (Int, UInt64) -> Bool) -> any CapturePacing
}

/// A running pacing; stopping it ends the ticks. Safe to call more than once.
public protocol CapturePacing: Sendable {
    func stop()
}

/// Real time: a thread that sleeps until each deadline of CLOCK_MONOTONIC.
public struct RealTimePacer: CapturePacer {
    public init() {}
    public func start(interval: UInt64, tick: @escaping @Sendable (Int, UInt64) -> Bool) -> any CapturePacing {
        PacedThread(interval: interval, tick: tick)
    }
}

extension PacedThread: CapturePacing {}
