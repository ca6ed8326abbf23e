/// NTP timestamps as used by SR, LSR and DLSR (RFC 3550 §4): 32.32 fixed-point seconds.
public enum NTPTime {
    /// Seconds from 1900-01-01 to 1970-01-01.
    public static let unixEpochOffset: UInt64 = 2_208_988_800

    /// The 64-bit NTP value of a duration counted from the NTP epoch.
    public static func timestamp(_ sinceEpoch: Duration) -> UInt64 {
        let (seconds, attoseconds) = sinceEpoch.components
        let fraction = UInt64((Double(attoseconds) / 1e18) * 4_294_967_296.0)
        return UInt64(truncatingIfNeeded: seconds) << 32 | min(fraction, 0xFFFF_FFFF)
    }

    /// The middle 32 bits, as carried in LSR.
    public static func compact(_ ntp: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: ntp >> 16)
    }

    /// A duration in 1/65536 s units, as carried in DLSR.
    public static func compact(_ duration: Duration) -> UInt32 {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return UInt32(clamping: Int64(max(0, seconds) * 65536))
    }

    public static func duration(compact: UInt32) -> Duration {
        .nanoseconds(Int64(compact) * 1_000_000_000 / 65536)
    }
}

extension Duration {
    /// Seconds as a Double (for statistics).
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
