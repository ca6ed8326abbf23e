/// The tone in received audio, 10 ms at a time: a Goertzel filter at the sender's frequency
/// against the block's whole energy, so a gap, a click or a wrong pitch shows in the block it
/// happened in.
enum ToneCheck {
    /// |X(f)|² × 2 / N over Σx²: about 1 for a block of pure tone at `frequency`, near 0 for
    /// silence or another pitch.
    static func toneShare(_ block: ArraySlice<Int16>, frequency: Double, sampleRate: Int = 48000) -> Double {
        let n = block.count
        guard n > 0 else { return 0 }
        let w = 2 * Double.pi * frequency / Double(sampleRate)
        let coefficient = 2 * cos(w)
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

    static func rms(_ block: ArraySlice<Int16>) -> Double {
        guard !block.isEmpty else { return 0 }
        return (block.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(block.count)).squareRoot()
    }

    /// Indexes of the 10 ms blocks of mono `samples` that do not carry the tone (quiet, or
    /// mostly something else).
    static func blocksWithoutTone(_ samples: [Int16], frequency: Double, minimumRMS: Double = 2000,
                                  minimumShare: Double = 0.5) -> [Int] {
        stride(from: 0, to: samples.count - 479, by: 480).enumerated().compactMap { index, start in
            let block = samples[start..<(start + 480)]
            return rms(block) >= minimumRMS && toneShare(block, frequency: frequency) >= minimumShare ? nil : index
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
