#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MediaCapture

/// The echo a microphone hears from the speakers: a far end (speech-like: low-passed noise
/// under a syllable envelope) that the playout renders, heard again `echoDelayMilliseconds`
/// later through an echo path of gain `echoGain`, and a near end (a tone) that talks when the
/// far end does not. Every 4 s: the far end alone for 2 s, the near end alone for 1 s, 1 s of
/// quiet; under it all the microphone's own noise floor (about -75 dBFS, as every real one
/// has: the canceller's comfort noise follows it).
public struct EchoScenario: Sendable {
    public var sampleRate = 48_000
    public var echoDelayMilliseconds = 60
    /// 0.25: an echo path of -12 dB.
    public var echoGain = 0.25
    public var seconds = 16
    /// What the canceller takes to converge, left out of the measures.
    public var settleSeconds = 4
    public var nearEndFrequency = 1000.0
    public var nearEndAmplitude = 3000.0

    public init() {}

    /// The measures of one run.
    public struct Result: Sendable {
        public var run: ScenarioRun
        /// Mean squares while only the far end talks (its echo in the microphone), after settling.
        public var echoInMicrophone: Double
        public var echoDelivered: Double
        /// Mean squares while only the near end talks.
        public var nearEndInMicrophone: Double
        public var nearEndDelivered: Double
        /// Echo return loss enhancement: how much weaker the echo is in what the track delivers.
        public var erleDecibels: Double { Signals.decibels(echoInMicrophone / max(echoDelivered, 1e-9)) }
        /// The near end's level in what the track delivers against the microphone's (negative: lost).
        public var nearEndChangeDecibels: Double { Signals.decibels(nearEndDelivered / max(nearEndInMicrophone, 1e-9)) }
    }

    /// Seconds into the 4 s cycle.
    func phase(_ i: Int) -> Double { (Double(i) / Double(sampleRate)).truncatingRemainder(dividingBy: 4) }

    /// Syllables of about 200 ms.
    func envelope(_ i: Int) -> Double {
        let t = Double(i) / Double(sampleRate)
        return 0.5 + 0.5 * sin(2 * .pi * 2.5 * t) * sin(2 * .pi * 0.7 * t)
    }

    public func farEnd() -> [Int16] {
        var noise = Signals.Noise(seed: 7)
        // A one-pole low-pass at about 400 Hz: most of the energy where speech has it.
        let a = exp(-2 * Double.pi * 400 / Double(sampleRate))
        var lowpassed = 0.0
        return (0..<(seconds * sampleRate)).map { i in
            lowpassed = a * lowpassed + (1 - a) * noise.next()
            return phase(i) < 2 ? Int16(clamping: Int(lowpassed * envelope(i) * 30_000)) : 0
        }
    }

    public func microphone(farEnd far: [Int16]) -> [Int16] {
        let delay = echoDelayMilliseconds * sampleRate / 1000
        var noise = Signals.Noise(seed: 3)
        return (0..<far.count).map { i in
            let echo = i >= delay ? Double(far[i - delay]) * echoGain : 0
            let p = phase(i)
            let near = p >= 2 && p < 3 ? nearEndAmplitude * sin(2 * .pi * nearEndFrequency * Double(i) / Double(sampleRate)) : 0
            return Int16(clamping: Int(echo + near + (noise.next() * 2 - 1) * 10))
        }
    }

    /// Runs the scenario through a microphone track with `constraints` (the `audio` member of
    /// getUserMedia's constraints, JSON: `true`, or an object).
    public func run(constraints: String) async throws(MediaStreamError) -> Result {
        let far = farEnd(), mic = microphone(farEnd: far)
        let run = try await ScenarioTrack.run(constraints: constraints, sampleRate: sampleRate, microphone: mic, farEnd: far)
        let delay = echoDelayMilliseconds * sampleRate / 1000, settle = settleSeconds * sampleRate
        // The echo: where the far end it comes from was talking (inside its 2 s, past the
        // first 100 ms, its envelope above half).
        func echo(_ i: Int) -> Bool {
            guard i >= settle, i >= delay else { return false }
            let p = phase(i - delay)
            return p >= 0.1 && p < 2 && envelope(i - delay) > 0.5
        }
        // The near end: its second, past the echo's tail and the first 200 ms.
        func near(_ i: Int) -> Bool {
            let p = phase(i)
            return i >= settle && p >= 2.2 && p < 2.9
        }
        let out = run.delivered
        return Result(run: run,
                      echoInMicrophone: Signals.meanSquare(mic, where: echo), echoDelivered: Signals.meanSquare(out, where: echo),
                      nearEndInMicrophone: Signals.meanSquare(mic, where: near), nearEndDelivered: Signals.meanSquare(out, where: near))
    }
}
