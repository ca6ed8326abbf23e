import Foundation
import MediaCapture
import RTP

/// The one clock of a call: the capture clock (`MonotonicClock`, which stamps every frame)
/// as a `Duration` for the RTP state machines, and the wall clock for RTCP sender reports.
/// Using the capture clock for RTP timestamps and SRs is what lets a receiver line audio up
/// with video (RFC 3550 §6.4.1).
enum MediaClock {
    static func now() -> Duration { .nanoseconds(Int64(MonotonicClock.now())) }

    /// 64-bit NTP time of the wall clock, for SR (RFC 3550 §4).
    static func ntpNow() -> UInt64 {
        NTPTime.timestamp(.seconds(Int64(NTPTime.unixEpochOffset)) + .nanoseconds(Int64(Date().timeIntervalSince1970 * 1e9)))
    }
}
