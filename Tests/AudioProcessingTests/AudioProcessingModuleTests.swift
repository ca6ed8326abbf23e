import AudioProcessing
import Foundation
import MediaPrimitives
import Testing

/// The microphone processing on signals whose answer is known: an echo path (the far end,
/// delayed and attenuated, mixed into the microphone) and a steady noise floor under a tone.
/// Each test prints its figures as one JSON line (`audio-processing:`), the benchmark's output.
@Suite struct AudioProcessingModuleTests {
    static let rate = 16_000
    static let block = rate / 100

    /// A deterministic noise source (xorshift), so runs compare.
    struct Noise {
        var state: UInt64
        mutating func next() -> Double {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Double(Int64(bitPattern: state) % 1_000_000) / 1_000_000
        }
    }

    /// Speech-like far end: noise shaped by a slow envelope (syllables of ~200 ms), so the
    /// echo canceller sees a broadband, non-stationary signal as it would from a voice.
    static func envelope(_ i: Int) -> Double {
        let t = Double(i) / Double(rate)
        return 0.5 + 0.5 * sin(2 * .pi * 2.5 * t) * sin(2 * .pi * 0.7 * t)
    }

    static func farEnd(seconds: Int, seed: UInt64 = 7) -> [Int16] {
        var noise = Noise(state: seed)
        var lowpassed = 0.0
        return (0..<(seconds * rate)).map { i in
            lowpassed = 0.85 * lowpassed + 0.15 * noise.next()
            return Int16(clamping: Int(lowpassed * envelope(i) * 30_000))
        }
    }

    /// Energy over the samples where the far end is talking (its envelope above half).
    static func farEndActiveEnergy(_ s: [Int16], from: Int) -> Double {
        var e = 0.0, n = 0
        for i in from..<s.count where envelope(i) > 0.5 {
            e += Double(s[i]) * Double(s[i]); n += 1
        }
        return e / Double(max(n, 1))
    }

    static func energy(_ s: ArraySlice<Int16>) -> Double {
        s.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(s.count, 1))
    }

    static func decibels(_ ratio: Double) -> Double { 10 * log10(max(ratio, 1e-12)) }
    static func tenths(_ v: Double) -> Double { (v * 10).rounded() / 10 }

    /// Runs the far end and the microphone (far end delayed by `delay`, times `gain`) through a
    /// module, block by block as capture and playout would; returns what would be sent.
    static func echoPath(settings: AudioProcessingModule.Settings, seconds: Int, delayMs: Int, gain: Double, reportedDelayMs: Int? = nil) throws -> (mic: [Int16], sent: [Int16]) {
        let apm = try AudioProcessingModule(sampleRate: rate, channelCount: 1, settings: settings, reference: nil)
        let far = farEnd(seconds: seconds)
        let delay = delayMs * rate / 1000
        // A microphone's own noise floor (about -75 dBFS) under the echo: every real one has
        // it, and the canceller's comfort noise follows it (without one, the comfort noise
        // follows the quiet parts of the echo itself and sets a floor on the measure).
        var noise = Noise(state: 3)
        var mic = [Int16](repeating: 0, count: far.count)
        for i in 0..<far.count {
            let echo = i >= delay ? Double(far[i - delay]) * gain : 0
            mic[i] = Int16(clamping: Int(echo + (noise.next() * 2 - 1) * 10))
        }
        var sent: [Int16] = []
        sent.reserveCapacity(far.count)
        for start in stride(from: 0, to: far.count - block + 1, by: block) {
            apm.analyzeRender(AudioFrame(sampleRate: rate, channelCount: 1, samples: Array(far[start..<start + block]), timestamp: 0))
            var frame = AudioFrame(sampleRate: rate, channelCount: 1, samples: Array(mic[start..<start + block]), timestamp: 0)
            apm.processCapture(&frame, delayMilliseconds: reportedDelayMs ?? delayMs)
            sent.append(contentsOf: frame.samples)
        }
        #expect(apm.failures == 0)
        if let m = apm.echoMetrics() { print("audio-processing: echo canceller's own view: delay \(m.delayMilliseconds) ± \(m.delaySpreadMilliseconds) ms, ERLE \(m.erleDecibels) dB") }
        return (mic, sent)
    }

    @Test func echoCancellationRemovesTheEchoByTwentyDecibels() throws {
        let seconds = 12, settle = 4 * Self.rate
        let on = try Self.echoPath(settings: .init(echoCancellation: true, noiseSuppression: false, autoGainControl: false),
                                   seconds: seconds, delayMs: 60, gain: 0.25)
        let off = try Self.echoPath(settings: .init(echoCancellation: false, noiseSuppression: false, autoGainControl: false),
                                    seconds: seconds, delayMs: 60, gain: 0.25)
        // ERLE (echo return loss enhancement) while the far end talks, after the filter converged.
        let micEnergy = Self.farEndActiveEnergy(on.mic, from: settle)
        let erleOn = Self.decibels(micEnergy / Self.farEndActiveEnergy(on.sent, from: settle))
        let erleOff = Self.decibels(micEnergy / Self.farEndActiveEnergy(off.sent, from: settle))
        print(#"audio-processing: {"test": "echo", "delayMs": 60, "echoGain": 0.25, "erleOnDb": \#(Self.tenths(erleOn)), "erleOffDb": \#(Self.tenths(erleOff)), "differenceDb": \#(Self.tenths(erleOn - erleOff))}"#)
        #expect(erleOn - erleOff >= 20, "ERLE \(erleOn) dB with echoCancellation, \(erleOff) dB without")
    }

    @Test func noiseSuppressionLowersTheFloorAndKeepsTheTone() throws {
        let seconds = 10
        var noise = Noise(state: 99)
        // A 1 kHz tone for the first half of every 2 s, white noise at about -40 dBFS throughout.
        let input: [Int16] = (0..<(seconds * Self.rate)).map { i in
            let t = Double(i) / Double(Self.rate)
            let tone = t.truncatingRemainder(dividingBy: 2) < 1 ? 3000 * sin(2 * .pi * 1000 * t) : 0
            return Int16(clamping: Int(tone + (noise.next() * 2 - 1) * 330))
        }
        func run(_ ns: Bool) throws -> [Int16] {
            let apm = try AudioProcessingModule(sampleRate: Self.rate, channelCount: 1,
                                                settings: .init(echoCancellation: false, noiseSuppression: ns, autoGainControl: false))
            var out: [Int16] = []
            for start in stride(from: 0, to: input.count - Self.block + 1, by: Self.block) {
                var frame = AudioFrame(sampleRate: Self.rate, channelCount: 1, samples: Array(input[start..<start + Self.block]), timestamp: 0)
                apm.processCapture(&frame)
                out.append(contentsOf: frame.samples)
            }
            return out
        }
        let on = try run(true), off = try run(false)
        // After 2 s to adapt: the noise alone (second halves), and the tone (first halves).
        func segments(_ s: [Int16], toneOn: Bool) -> Double {
            var e = 0.0, n = 0
            for second in stride(from: 2, to: seconds, by: 1) where (second % 2 == 0) == toneOn {
                let from = second * Self.rate + Self.rate / 10, to = (second + 1) * Self.rate - Self.rate / 10
                e += Self.energy(s[from..<to]); n += 1
            }
            return e / Double(n)
        }
        let floorDrop = Self.decibels(segments(off, toneOn: false) / segments(on, toneOn: false))
        let toneChange = Self.decibels(segments(on, toneOn: true) / segments(off, toneOn: true))
        print(#"audio-processing: {"test": "noise", "noiseFloorDropDb": \#(Self.tenths(floorDrop)), "toneLevelChangeDb": \#(Self.tenths(toneChange))}"#)
        #expect(floorDrop >= 10, "noise floor \(floorDrop) dB lower with noiseSuppression")
        #expect(abs(toneChange) <= 3, "the tone changed by \(toneChange) dB")
    }

    /// The far end through the process's reference, as the playout feeds it: the same echo
    /// cancelled as when fed directly, and a module of another format counted, not fed.
    @Test func theFarEndComesFromThePlayoutsReference() throws {
        let reference = EchoCancellationReference()
        let apm = try AudioProcessingModule(sampleRate: Self.rate, channelCount: 1,
                                            settings: .init(echoCancellation: true, noiseSuppression: false, autoGainControl: false),
                                            reference: reference)
        #expect(reference.hasListeners)
        let far = Self.farEnd(seconds: 8)
        let delay = 60 * Self.rate / 1000
        var mic = [Int16](repeating: 0, count: far.count), sent: [Int16] = []
        for i in delay..<far.count { mic[i] = Int16(clamping: Int(Double(far[i - delay]) * 0.25)) }
        for start in stride(from: 0, to: far.count - Self.block + 1, by: Self.block) {
            reference.render(AudioFrame(sampleRate: Self.rate, channelCount: 1, samples: Array(far[start..<start + Self.block]), timestamp: 0))
            var frame = AudioFrame(sampleRate: Self.rate, channelCount: 1, samples: Array(mic[start..<start + Self.block]), timestamp: 0)
            apm.processCapture(&frame)
            sent.append(contentsOf: frame.samples)
        }
        let erle = Self.decibels(Self.farEndActiveEnergy(mic, from: 4 * Self.rate) / Self.farEndActiveEnergy(sent, from: 4 * Self.rate))
        #expect(erle >= 15, "ERLE \(erle) dB through the reference")
        reference.render(AudioFrame(sampleRate: 48_000, channelCount: 1, samples: [Int16](repeating: 0, count: 480), timestamp: 0))
        #expect(reference.mismatchedBlocks == 1)
    }

    @Test func refusesWhatTheLibraryCannotProcess() {
        #expect(throws: AudioProcessingError.self) {
            try AudioProcessingModule(sampleRate: 44_100, channelCount: 1, settings: .init(echoCancellation: true, noiseSuppression: true, autoGainControl: true))
        }
    }
}
