#if canImport(Glibc)
import Glibc
#endif

/// Measures the frequency of a pure tone in captured audio: how the self-checks prove that a
/// tone played into a device came back (and came back at the right rate).
public enum ToneFrequency {
    /// The frequency of a tone in mono samples, from the time between its first and last
    /// upward zero crossings (linearly interpolated): precise to a small fraction of a hertz
    /// over a second of clean tone. Nil when there are fewer than two crossings.
    public static func estimate(_ samples: [Int16], sampleRate: Int) -> Double? {
        var first: Double?
        var last = 0.0
        var crossings = 0
        var index = 1
        while index < samples.count {
            let a = Double(samples[index - 1]), b = Double(samples[index])
            if a < 0 && b >= 0 {
                let t = Double(index - 1) + (-a) / (b - a)
                if first == nil { first = t }
                last = t
                crossings += 1
            }
            index += 1
        }
        guard let first, crossings >= 2, last > first else { return nil }
        return Double(crossings - 1) * Double(sampleRate) / (last - first)
    }

    /// Root-mean-square level, 0...32768: tells a silent capture from a live one.
    public static func rms(_ samples: [Int16]) -> Double {
        guard !samples.isEmpty else { return 0 }
        var sum = 0.0
        for s in samples { sum += Double(s) * Double(s) }
        return (sum / Double(samples.count)).squareRoot()
    }

    /// A sine tone, interleaved over `channelCount` channels, starting at phase `start`
    /// (in samples) so consecutive blocks join without a click.
    public static func sine(
        frequency: Double, sampleRate: Int, channelCount: Int, frames: Int, amplitude: Double = 12000,
        start: Int = 0
    ) -> [Int16] {
        var out = [Int16]()
        out.reserveCapacity(frames * channelCount)
        for i in 0..<frames {
            let phase = 2 * Double.pi * frequency * Double(start + i) / Double(sampleRate)
            let value = Int16((amplitude * sin(phase)).rounded())
            for _ in 0..<channelCount { out.append(value) }
        }
        return out
    }

    /// The share of a block's energy at `frequency` (a Goertzel filter): |X(f)|² × 2 / N over
    /// Σx², about 1 for a block of pure tone at that frequency, near 0 for silence or another
    /// pitch. Over 10 ms blocks it shows a gap, a click or a wrong pitch in the block it
    /// happened in.
    public static func toneShare(_ block: ArraySlice<Int16>, frequency: Double, sampleRate: Int) -> Double {
        let n = block.count
        guard n > 0 else { return 0 }
        let coefficient = 2 * cos(2 * Double.pi * frequency / Double(sampleRate))
        var s1 = 0.0, s2 = 0.0, energy = 0.0
        for sample in block {
            let x = Double(sample)
            energy += x * x
            let s0 = x + coefficient * s1 - s2
            s2 = s1
            s1 = s0
        }
        guard energy > 0 else { return 0 }
        let power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
        return power * 2 / Double(n) / energy
    }

    /// Indexes of the 10 ms blocks of mono `samples` that do not carry the tone: quieter than
    /// `minimumRMS`, or less than `minimumShare` of their energy at `frequency`.
    public static func blocksWithoutTone(_ samples: [Int16], frequency: Double, sampleRate: Int = 48000,
                                         minimumRMS: Double = 2000, minimumShare: Double = 0.5) -> [Int] {
        let block = sampleRate / 100
        guard samples.count >= block else { return [] }
        return stride(from: 0, to: samples.count - block + 1, by: block).enumerated().compactMap { index, start in
            let slice = samples[start..<(start + block)]
            let quiet = rms(Array(slice)) < minimumRMS
            return !quiet && toneShare(slice, frequency: frequency, sampleRate: sampleRate) >= minimumShare ? nil : index
        }
    }
}
