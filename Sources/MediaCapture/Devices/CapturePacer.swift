/// What paces a fake device's frames and a track's own timers: real time on a thread of its
/// own (`PacedThread`, the default), or a test's simulated clock, so that a whole call can run
/// in simulated time with the same synthetic camera and microphone.
public protocol CapturePacer: Sendable {
    /// Calls `tick(n, deadline)` for n = 0, 1, 2, ... every `interval` nanoseconds of the
    /// pacer's clock (deadline: the tick's time on the capture clock) until `tick` returns
    /// false or the returned pacing is stopped.
    func start(interval: UInt64, tick: @escaping @Sendable (Int, UInt64) -> Bool) -> any CapturePacing
    /// As `start(interval:tick:)` for a source whose ticks are worth nothing late, a camera's:
    /// with `skippingLateTicks`, a tick whose time passed while an earlier one still ran (its
    /// sink encoding on the device's thread) is left out, and the next tick is the one due
    /// now, as a sensor's frames come on time whether or not they are read. `n` then jumps.
    func start(interval: UInt64, skippingLateTicks: Bool, tick: @escaping @Sendable (Int, UInt64) -> Bool) -> any CapturePacing
}

extension CapturePacer {
    /// A simulated clock runs every tick at its time, whatever the ticks cost: none is late.
    public func start(interval: UInt64, skippingLateTicks: Bool, tick: @escaping @Sendable (Int, UInt64) -> Bool) -> any CapturePacing {
        start(interval: interval, tick: tick)
    }
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

    public func start(interval: UInt64, skippingLateTicks: Bool, tick: @escaping @Sendable (Int, UInt64) -> Bool) -> any CapturePacing {
        PacedThread(interval: interval, skippingLateTicks: skippingLateTicks, tick: tick)
    }
}

extension PacedThread: CapturePacing {}
