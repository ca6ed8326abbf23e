#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MediaCapture

/// A steady noise floor under a tone: white noise at about -45 dBFS throughout, a 1 kHz
/// tone (about -23 dBFS) in the first half of every 2 s.
public struct NoiseScenario: Sendable {
    public var sampleRate = 48_000
    public var seconds = 10
    /// What the suppressor takes to learn the noise, left out of the measures.
    public var settleSeconds = 2
    public var toneFrequency = 1000.0
    public var toneAmplitude = 3000.0
    public var noiseAmplitude = 330.0

    public init() {}

    public struct Result: Sendable {
        public var run: ScenarioRun
        /// Mean squares where only the noise is (the second half of each 2 s), after settling.
        public var noiseInMicrophone: Double
        public var noiseDelivered: Double
        /// Mean squares where the tone is.
        public var toneInMicrophone: Double
        public var toneDelivered: Double
        /// How much lower the noise floor is in what the track delivers.
        public var noiseReductionDecibels: Double { Signals.decibels(noiseInMicrophone / max(noiseDelivered, 1e-9)) }
        /// The tone's level in what the track delivers against the microphone's (negative: lost).
        public var toneChangeDecibels: Double { Signals.decibels(toneDelivered / max(toneInMicrophone, 1e-9)) }
    }

    public func microphone() -> [Int16] {
        var noise = Signals.Noise(seed: 99)
        return (0..<(seconds * sampleRate)).map { i in
            let t = Double(i) / Double(sampleRate)
            let tone = t.truncatingRemainder(dividingBy: 2) < 1 ? toneAmplitude * sin(2 * .pi * toneFrequency * t) : 0
            return Int16(clamping: Int(tone + (noise.next() * 2 - 1) * noiseAmplitude))
        }
    }

    public func run(constraints: String) async throws(MediaStreamError) -> Result {
        let mic = microphone()
        let run = try await ScenarioTrack.run(constraints: constraints, sampleRate: sampleRate, microphone: mic, farEnd: nil)
        // Each half second's middle, 100 ms in from its edges.
        func segment(_ i: Int, tone: Bool) -> Bool {
            let t = Double(i) / Double(sampleRate), p = t.truncatingRemainder(dividingBy: 2)
            return i >= settleSeconds * sampleRate && (tone ? (p >= 0.1 && p < 0.9) : (p >= 1.1 && p < 1.9))
        }
        let out = run.delivered
        return Result(run: run,
                      noiseInMicrophone: Signals.meanSquare(mic, where: { segment($0, tone: false) }),
                      noiseDelivered: Signals.meanSquare(out, where: { segment($0, tone: false) }),
                      toneInMicrophone: Signals.meanSquare(mic, where: { segment($0, tone: true) }),
                      toneDelivered: Signals.meanSquare(out, where: { segment($0, tone: true) }))
    }
}
