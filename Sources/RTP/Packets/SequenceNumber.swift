/// 16-bit RTP sequence number arithmetic (RFC 3550 §A.1): comparisons modulo 2^16 and
/// unwrapping to a monotonically extended 64-bit counter.
public enum SequenceNumber {
    /// True when `a` comes after `b` (within half the number space).
    @inlinable public static func isNewer(_ a: UInt16, than b: UInt16) -> Bool {
        let d = a &- b
        return d != 0 && d < 0x8000
    }
}

/// Turns 16-bit sequence numbers into 64-bit extended ones, following the most recent value.
public struct SequenceNumberUnwrapper: Sendable {
    private var last: Int64?

    public init() {}

    public mutating func unwrap(_ seq: UInt16) -> Int64 {
        guard let last else {
            self.last = Int64(seq)
            return Int64(seq)
        }
        let delta = Int64(Int16(bitPattern: seq &- UInt16(truncatingIfNeeded: last)))
        let value = last + delta
        if value > last { self.last = value }
        return value
    }

    /// The extended value without updating the state.
    public func peek(_ seq: UInt16) -> Int64 {
        guard let last else { return Int64(seq) }
        return last + Int64(Int16(bitPattern: seq &- UInt16(truncatingIfNeeded: last)))
    }
}
