#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
/// The scenarios' signals and measures: deterministic, so runs compare.
public enum Signals {
    /// A deterministic noise source (xorshift64), uniform in [-1, 1).
    public struct Noise: Sendable {
        var state: UInt64
        public init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
        public mutating func next() -> Double {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Double(Int64(bitPattern: state) % 1_000_000) / 1_000_000
        }
    }

    /// Mean square of `samples` at the indexes `include` accepts (0 when none does).
    public static func meanSquare(_ samples: [Int16], where include: (Int) -> Bool) -> Double {
        var e = 0.0, n = 0
        for i in samples.indices where include(i) {
            let x = Double(samples[i])
            e += x * x
            n += 1
        }
        return n == 0 ? 0 : e / Double(n)
    }

    /// 10·log10 of a ratio of energies (a floor of -120 dB for a zero).
    public static func decibels(_ ratio: Double) -> Double {
        10 * log10(max(ratio, 1e-12))
    }

    /// Rounded to tenths, for the printed figures.
    public static func tenths(_ v: Double) -> Double { (v * 10).rounded() / 10 }
}
