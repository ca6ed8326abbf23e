import MediaPrimitives
/// Conversions between the capture clock (MonotonicClock nanoseconds, stamped on every
/// VideoFrame and AudioFrame) and media clocks: 90 kHz for video (RFC 7741 §4.1 via RFC 3551
/// §5) and 48 kHz for Opus (RFC 7587 §4.1). Audio and video derive their RTP timestamps from
/// the same capture clock, so a receiver can line them up through RTCP sender reports.
public enum MediaTimestamp {
    /// Video RTP clock rate.
    public static let videoClockRate = 90_000
    /// Opus RTP clock rate (always 48 kHz, whatever the input rate).
    public static let audioClockRate = 48_000

    /// `nanoseconds` on a clock of `clockRate` Hz, rounded to the nearest unit (so 1/30 s
    /// stamped as 33 333 333 ns is 3000 ticks, not 2999); no overflow for any 64-bit input.
    public static func units(fromNanoseconds nanoseconds: UInt64, clockRate: Int) -> UInt64 {
        let rate = UInt64(clockRate)
        return (nanoseconds / 1_000_000_000) * rate + ((nanoseconds % 1_000_000_000) * rate + 500_000_000) / 1_000_000_000
    }

    /// Clock units back to nanoseconds (rounded down).
    public static func nanoseconds(fromUnits units: UInt64, clockRate: Int) -> UInt64 {
        let rate = UInt64(clockRate)
        return (units / rate) * 1_000_000_000 + (units % rate) * 1_000_000_000 / rate
    }

    /// The 32-bit RTP timestamp of a capture time: the clock units plus the stream's random
    /// initial offset (RFC 3550 §5.1), wrapping modulo 2^32.
    public static func rtpTimestamp(captureNanoseconds: UInt64, clockRate: Int, offset: UInt32 = 0) -> UInt32 {
        UInt32(truncatingIfNeeded: units(fromNanoseconds: captureNanoseconds, clockRate: clockRate)) &+ offset
    }
}
