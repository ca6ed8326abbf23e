/// Time-stretching of decoded audio by whole pitch periods, what NetEq calls accelerate and
/// preemptive expand: a period is found by normalized autocorrelation (WSOLA's similarity
/// search) and one is cut out or repeated with a linear cross-fade over it, so a voiced or
/// tonal signal keeps its pitch and phase and a listener hears no click. Silence (too quiet
/// to matter) may be cut at any lag.
enum TimeStretch {
    /// The periods searched, in frames at 48 kHz: 2.5 ms (400 Hz) to 10 ms (100 Hz).
    static let minimumLag = 120
    static let maximumLag = 480
    /// Below this the two periods do not look alike enough to join (NetEq's 0.9).
    static let correlationThreshold = 0.9
    /// RMS below which a stretch needs no similarity (about -60 dBFS).
    static let silenceRMS = 30.0

    /// Frames of `pcm` a stretch needs to look at.
    static var framesNeeded: Int { 2 * maximumLag }

    /// The lag whose two periods from the start of `pcm` are most alike, with their
    /// normalized correlation (channel 0); nil when `pcm` is too short.
    static func bestPeriod(_ pcm: [Int16], channels: Int) -> (lag: Int, correlation: Double, rms: Double)? {
        let frames = pcm.count / channels
        guard frames >= framesNeeded else { return nil }
        // Channel 0 as Float, once.
        let x = (0..<framesNeeded).map { Float(pcm[$0 * channels]) }
        let energy = x.reduce(Float(0)) { $0 + $1 * $1 }
        let rms = Double(energy / Float(framesNeeded)).squareRoot()
        let correlations = x.withUnsafeBufferPointer { x in
            (minimumLag...maximumLag).map { lag -> Double in
                var xy: Float = 0, xx: Float = 0, yy: Float = 0
                for n in 0..<lag {
                    let a = x[n], b = x[n + lag]
                    xy += a * b
                    xx += a * a
                    yy += b * b
                }
                return xx > 0 && yy > 0 ? Double(xy) / Double(xx * yy).squareRoot() : 0
            }
        }
        let top = correlations.max() ?? 0
        // The longest lag about as good as the best: it moves the delay further per stretch.
        let index = correlations.lastIndex { $0 >= top - 0.002 } ?? 0
        let best = (lag: minimumLag + index, correlation: correlations[index])
        return (best.lag, best.correlation, rms)
    }

    /// A lag that can be joined without an audible seam, if any.
    static func joinableLag(_ pcm: [Int16], channels: Int) -> Int? {
        guard let p = bestPeriod(pcm, channels: channels) else { return nil }
        if p.rms < silenceRMS { return maximumLag }
        return p.correlation >= correlationThreshold ? p.lag : nil
    }

    /// Cuts one period from the start of `pcm`: the first two periods become one that fades
    /// from the first into the second. Returns the frames removed (0 when none is joinable).
    static func accelerate(_ pcm: inout [Int16], channels: Int) -> Int {
        guard let lag = joinableLag(pcm, channels: channels) else { return 0 }
        // x[0..<P] fading into x[P..<2P], then x[2P...]: each seam joins neighbours.
        let joined = crossfade(pcm, from: 0, to: lag, frames: lag, channels: channels)
        pcm.replaceSubrange(0..<(2 * lag * channels), with: joined)
        return lag
    }

    /// Repeats one period at the start of `pcm`: after the first period comes one that
    /// fades from the second back into the first, then the first again continues into the
    /// rest. Returns the frames inserted (0 when none is joinable).
    static func expand(_ pcm: inout [Int16], channels: Int) -> Int {
        guard let lag = joinableLag(pcm, channels: channels) else { return 0 }
        // x[0..<P], x[P..<2P] fading into x[0..<P], then x[P...]: each seam joins neighbours.
        let inserted = crossfade(pcm, from: lag, to: 0, frames: lag, channels: channels)
        pcm.insert(contentsOf: inserted, at: lag * channels)
        return lag
    }

    /// `frames` frames that fade linearly from those at `from` to those at `to`.
    private static func crossfade(_ pcm: [Int16], from: Int, to: Int, frames: Int, channels: Int) -> [Int16] {
        var out = [Int16](repeating: 0, count: frames * channels)
        for n in 0..<frames {
            let w = Double(n) / Double(frames)
            for c in 0..<channels {
                let a = Double(pcm[(from + n) * channels + c]), b = Double(pcm[(to + n) * channels + c])
                out[n * channels + c] = clamp((1 - w) * a + w * b)
            }
        }
        return out
    }

    private static func clamp(_ v: Double) -> Int16 { Int16(max(-32768, min(32767, v.rounded()))) }
}
