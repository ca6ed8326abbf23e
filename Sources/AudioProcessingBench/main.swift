// audio-processing-bench (scripts/bench-apm): the echo and noise scenarios through a
// microphone track (AudioProcessingScenarios), printed as one JSON object. Not a test: the
// figures are for docs/audio-processing.md; AudioProcessingTests assert the thresholds.
#if canImport(Glibc)
import Glibc
#endif
import AudioProcessingScenarios
import MediaCapture
import MediaPrimitives

let quick = CommandLine.arguments.contains("--quick")
func constraints(ec: Bool, ns: Bool, agc: Bool) -> String {
    #"{"echoCancellation": \#(ec), "noiseSuppression": \#(ns), "autoGainControl": \#(agc)}"#
}
func figure(_ v: Double) -> JSONValue { .number(Signals.tenths(v)) }

do {
    var echo = EchoScenario()
    if quick { echo.seconds = 8 }
    // ERLE per echo delay, echo cancellation alone; without it the track is the microphone itself.
    var byDelay: [(String, JSONValue)] = []
    var erle60 = 0.0, nearEndChange = 0.0
    for delay in [40, 60, 80] {
        echo.echoDelayMilliseconds = delay
        let on = try await echo.run(constraints: constraints(ec: true, ns: false, agc: false))
        byDelay.append(("\(delay)", figure(on.erleDecibels)))
        if delay == 60 { erle60 = on.erleDecibels; nearEndChange = on.nearEndChangeDecibels }
    }
    echo.echoDelayMilliseconds = 60
    let off = try await echo.run(constraints: constraints(ec: false, ns: false, agc: false))
    // The spec's defaults: all three on; the CPU cost of the whole path against none.
    let all = try await echo.run(constraints: "true")

    var noise = NoiseScenario()
    if quick { noise.seconds = 6 }
    let nsOn = try await noise.run(constraints: constraints(ec: false, ns: true, agc: false))
    let nsOff = try await noise.run(constraints: constraints(ec: false, ns: false, agc: false))

    let report = JSONValue.object([
        ("erle_db", figure(erle60 - off.erleDecibels)),
        ("erle_db_by_echo_delay_ms", .object(byDelay)),
        ("erle_db_all_processing", figure(all.erleDecibels - off.erleDecibels)),
        ("near_end_change_db_with_echo_cancellation", figure(nearEndChange)),
        ("noise_reduction_db", figure(nsOn.noiseReductionDecibels - nsOff.noiseReductionDecibels)),
        ("tone_loss_db", figure(nsOff.toneChangeDecibels - nsOn.toneChangeDecibels)),
        ("cpu_seconds_per_audio_second", .number((all.run.cpuSeconds / all.run.audioSeconds * 1e5).rounded() / 1e5)),
        ("cpu_seconds_per_audio_second_unprocessed", .number((off.run.cpuSeconds / off.run.audioSeconds * 1e5).rounded() / 1e5)),
        ("scenario", .object([
            ("sample_rate", .number(Double(echo.sampleRate))),
            ("echo_seconds", .number(Double(echo.seconds))),
            ("echo_gain", .number(echo.echoGain)),
            ("noise_seconds", .number(Double(noise.seconds))),
        ])),
    ])
    print(report.serialized)
} catch {
    print(#"{"error": \#(JSONValue.string("\(error)").serialized)}"#)
    exit(1)
}
