import Foundation
import MediaPrimitives
import NIOCore
import RTP

/// The one clock of a call: the event loop's. On a real loop that is CLOCK_MONOTONIC, the
/// capture clock every frame is stamped with (`MonotonicClock`); on a test loop it is the
/// simulated clock, and simulated devices stamp frames with it. Using the capture clock for
/// RTP timestamps and SRs is what lets a receiver line audio up with video (RFC 3550 §6.4.1).
struct MediaClock: Sendable {
    let eventLoop: any EventLoop
    /// Simulated runs take the wall clock as a fixed epoch plus loop time, so that two runs
    /// with the same seed write the same bytes.
    let simulated: Bool

    /// Now, in nanoseconds of the capture clock, as the RTP state machines take it.
    func now() -> Duration { .nanoseconds(Int64(eventLoop.now.uptimeNanoseconds)) }

    /// Now, on the capture clock (frame timestamps).
    func captureNanoseconds() -> UInt64 { eventLoop.now.uptimeNanoseconds }

    /// 64-bit NTP time of the wall clock, for SR (RFC 3550 §4).
    func ntpNow() -> UInt64 {
        if simulated {
            // 2026-01-01T00:00:00Z plus the simulated time.
            return NTPTime.timestamp(.seconds(Int64(NTPTime.unixEpochOffset) + 1_767_225_600) + now())
        }
        return NTPTime.timestamp(.seconds(Int64(NTPTime.unixEpochOffset)) + .nanoseconds(Int64(Date().timeIntervalSince1970 * 1e9)))
    }
}
