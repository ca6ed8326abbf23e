import AudioProcessing
import AudioProcessingScenarios
import Foundation
import MediaCapture
import MediaPrimitives
import Synchronization
import Testing

/// echoCancellation, noiseSuppression and autoGainControl on a microphone track from
/// getUserMedia (issue #13): what its sinks receive, on a scripted device driven 10 ms at a
/// time (no wall clock). Each measuring test prints its figures as one JSON line
/// (`track-processing:`).
@Suite struct MicrophoneTrackProcessingTests {
    static func only(ec: Bool, ns: Bool, agc: Bool) -> String {
        #"{"echoCancellation": \#(ec), "noiseSuppression": \#(ns), "autoGainControl": \#(agc)}"#
    }

    static func media(_ device: any AudioCaptureDevice, reference: EchoCancellationReference) -> MediaDevices {
        MediaDevices(videoDevices: [], audioDevices: [device], permissions: StaticPermissions(granted: [.microphone]),
                     indicator: SilentCaptureIndicator(),
                     options: .init(audioProcessing: AudioProcessingOptions(echoReference: reference)))
    }

    @Test("§echoCancellation: the far end's echo (delayed, -12 dB) is at least 20 dB weaker in what the track delivers with it on than off; the near end passes",
          arguments: [40, 60, 80])
    func echoIsCancelledInTheTrack(delayMilliseconds: Int) async throws {
        var scenario = EchoScenario()
        scenario.echoDelayMilliseconds = delayMilliseconds
        let on = try await scenario.run(constraints: Self.only(ec: true, ns: false, agc: false))
        let off = try await scenario.run(constraints: Self.only(ec: false, ns: false, agc: false))
        print(#"track-processing: {"test": "echo", "delayMs": \#(delayMilliseconds), "erleOnDb": \#(Signals.tenths(on.erleDecibels)), "erleOffDb": \#(Signals.tenths(off.erleDecibels)), "nearEndChangeOnDb": \#(Signals.tenths(on.nearEndChangeDecibels))}"#)
        #expect(on.run.settings.echoCancellation == true && off.run.settings.echoCancellation == false)
        #expect(on.run.processing?.settings.echoCancellation == true)
        #expect(on.run.processing?.framesProcessed == scenario.seconds * 100)
        #expect(off.run.processing == nil, "all three off: no module")
        #expect(on.erleDecibels - off.erleDecibels >= 20, "ERLE \(on.erleDecibels) dB with echoCancellation, \(off.erleDecibels) dB without")
        #expect(on.nearEndChangeDecibels > -6, "the near end lost \(-on.nearEndChangeDecibels) dB")
    }

    @Test("§noiseSuppression: a steady noise floor at least 10 dB lower in what the track delivers, the tone within 3 dB")
    func noiseIsSuppressedInTheTrack() async throws {
        let scenario = NoiseScenario()
        let on = try await scenario.run(constraints: Self.only(ec: false, ns: true, agc: false))
        let off = try await scenario.run(constraints: Self.only(ec: false, ns: false, agc: false))
        let drop = on.noiseReductionDecibels - off.noiseReductionDecibels
        let tone = on.toneChangeDecibels - off.toneChangeDecibels
        print(#"track-processing: {"test": "noise", "noiseFloorDropDb": \#(Signals.tenths(drop)), "toneLevelChangeDb": \#(Signals.tenths(tone))}"#)
        #expect(on.run.settings.noiseSuppression == true && on.run.processing?.settings.noiseSuppression == true)
        #expect(drop >= 10, "noise floor \(drop) dB lower with noiseSuppression")
        #expect(abs(tone) <= 3, "the tone changed by \(tone) dB")
    }

    @Test("§getCapabilities: every microphone offers [true, false] for the three; the defaults are on (the spec's), and getSettings says what runs")
    func capabilitiesAndDefaults() async throws {
        let reference = EchoCancellationReference()
        let mic = ScriptedMicrophone()
        let track = try #require(try await Self.media(mic, reference: reference).getUserMedia(jsonText: #"{"audio": true}"#).getAudioTracks().first)
        defer { track.stop() }
        let caps = track.getCapabilities()
        for p in [ConstrainableProperty.echoCancellation, .noiseSuppression, .autoGainControl] {
            #expect(caps[p] == .booleans([true, false]), "\(p.rawValue): \(String(describing: caps[p]))")
        }
        let s = track.getSettings()
        #expect(s.echoCancellation == true && s.noiseSuppression == true && s.autoGainControl == true)
        #expect(track.audioProcessing?.settings == .init(echoCancellation: true, noiseSuppression: true, autoGainControl: true))
        #expect(reference.hasListeners, "the track's echo canceller takes the far end")
        // The built-in fake microphone too.
        let synthetic = SyntheticMicrophone().capabilities
        #expect(synthetic.echoCancellation == [true, false] && synthetic.noiseSuppression == [true, false] && synthetic.autoGainControl == [true, false])
    }

    @Test("§echoCancellation {exact: false}: no echo canceller (nothing takes the far end); all three false: no processing, the samples pass as captured")
    func exactFalseGivesNoProcessing() async throws {
        let reference = EchoCancellationReference()
        let mic = ScriptedMicrophone()
        let media = Self.media(mic, reference: reference)
        let noEcho = try #require(try await media.getUserMedia(jsonText: #"{"audio": {"echoCancellation": {"exact": false}}}"#).getAudioTracks().first)
        #expect(noEcho.getSettings().echoCancellation == false)
        #expect(noEcho.audioProcessing?.settings == .init(echoCancellation: false, noiseSuppression: true, autoGainControl: true))
        #expect(!reference.hasListeners)
        noEcho.stop()

        let raw = try #require(try await media.getUserMedia(jsonText: #"{"audio": \#(Self.only(ec: false, ns: false, agc: false))}"#).getAudioTracks().first)
        defer { raw.stop() }
        #expect(raw.audioProcessing == nil)
        let delivered = Collected()
        raw.addAudioSink { delivered.add($0.samples) }
        let samples = (0..<480).map { Int16(truncatingIfNeeded: $0 &* 7919) }
        for _ in 0..<20 { mic.deliver(AudioFrame(sampleRate: 48_000, channelCount: 1, samples: samples, timestamp: 0)) }
        #expect(delivered.all == Array(repeating: samples, count: 20).flatMap { $0 })
    }

    @Test("§applyConstraints switches the processing live: off (the samples pass as captured), then echoCancellation alone, then the defaults again")
    func applyConstraintsToggles() async throws {
        let reference = EchoCancellationReference()
        let mic = ScriptedMicrophone()
        let track = try #require(try await Self.media(mic, reference: reference).getUserMedia(jsonText: #"{"audio": true}"#).getAudioTracks().first)
        defer { track.stop() }
        let delivered = Collected()
        track.addAudioSink { delivered.add($0.samples) }
        // A loud block: the gain control and the suppressor change it, no processing does not.
        let samples = (0..<480).map { i in Int16(8000 * sin(2 * Double.pi * 1000 * Double(i) / 48_000)) }
        func deliver(_ n: Int) -> [Int16] {
            delivered.clear()
            for _ in 0..<n { mic.deliver(AudioFrame(sampleRate: 48_000, channelCount: 1, samples: samples, timestamp: 0)) }
            return delivered.all
        }
        let processed = deliver(100)
        #expect(processed != Array(repeating: samples, count: 100).flatMap { $0 }, "the defaults process")

        try await track.applyConstraints(jsonText: Self.only(ec: false, ns: false, agc: false))
        #expect(track.getSettings().echoCancellation == false && track.audioProcessing == nil && !reference.hasListeners)
        #expect(deliver(10) == Array(repeating: samples, count: 10).flatMap { $0 })

        try await track.applyConstraints(jsonText: Self.only(ec: true, ns: false, agc: false))
        #expect(track.getSettings().echoCancellation == true && track.getSettings().noiseSuppression == false)
        #expect(track.audioProcessing?.settings == .init(echoCancellation: true, noiseSuppression: false, autoGainControl: false))
        #expect(reference.hasListeners)
        _ = deliver(10)
        #expect(track.audioProcessing?.framesProcessed == 10)

        // The same settings again keep the same canceller (what it learned stays).
        try await track.applyConstraints(jsonText: Self.only(ec: true, ns: false, agc: false))
        #expect(track.audioProcessing?.framesProcessed == 10)

        try await track.applyConstraints()
        #expect(track.audioProcessing?.settings == .init(echoCancellation: true, noiseSuppression: true, autoGainControl: true))
        track.stop()
        #expect(!reference.hasListeners, "a stopped track's canceller goes")
    }

    @Test("A format the library cannot process (44.1 kHz): the processing is offered as false only, and nothing runs")
    func unprocessableFormatOffersFalse() async throws {
        let reference = EchoCancellationReference()
        let mic = ScriptedMicrophone(sampleRate: 44_100)
        let track = try #require(try await Self.media(mic, reference: reference).getUserMedia(jsonText: #"{"audio": true}"#).getAudioTracks().first)
        defer { track.stop() }
        #expect(track.getCapabilities()[.echoCancellation] == .booleans([false]))
        #expect(track.getSettings().echoCancellation == false && track.getSettings().noiseSuppression == false)
        #expect(track.audioProcessing == nil)
        await #expect(throws: MediaStreamError.self) {
            try await track.applyConstraints(jsonText: #"{"echoCancellation": {"exact": true}}"#)
        }
    }

    @Test("A frame in another format than the track's mode passes unprocessed and is counted")
    func mismatchedFramesAreCounted() async throws {
        let mic = ScriptedMicrophone()
        let track = try #require(try await Self.media(mic, reference: EchoCancellationReference()).getUserMedia(jsonText: #"{"audio": true}"#).getAudioTracks().first)
        defer { track.stop() }
        let delivered = Collected()
        track.addAudioSink { delivered.add($0.samples) }
        let odd = [Int16](repeating: 1000, count: 441)
        mic.deliver(AudioFrame(sampleRate: 44_100, channelCount: 1, samples: odd, timestamp: 0))
        #expect(delivered.all == odd)
        #expect(track.audioProcessing?.framesUnprocessed == 1 && track.audioProcessing?.framesProcessed == 0)
    }
}

/// Samples a sink received, in order.
final class Collected: Sendable {
    private let samples = Mutex<[Int16]>([])
    func add(_ s: [Int16]) { samples.withLock { $0.append(contentsOf: s) } }
    func clear() { samples.withLock { $0.removeAll() } }
    var all: [Int16] { samples.withLock { $0 } }
}
