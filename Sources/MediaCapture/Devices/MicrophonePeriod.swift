/// How the built-in microphones (synthetic and WAV file) deliver: 10 ms frames, what WebRTC's
/// audio path, the audio processing module and Opus work in, two at a time every 20 ms when
/// the second one ends, as an ALSA device with a 20 ms period does (`ALSACaptureSession`
/// stamps each chunk with its start and hands it on at its end). A thread woken every 10 ms
/// was a third of the sender's wake-ups; Opus packs 20 ms per packet, so its packet leaves
/// with the period.
enum MicrophonePeriod {
    static let frameNanoseconds: UInt64 = 10_000_000
    static let framesPerPeriod = 2

    /// Starts `pacer` and calls `frame(k, timestamp)` for k = 0, 1, 2, ...: frame k stamped
    /// with its start (k x 10 ms on the pacer's clock), delivered at the end of its period.
    static func start(_ pacer: any CapturePacer, frame: @escaping @Sendable (_ index: Int, _ timestamp: UInt64) -> Void) -> any CapturePacing {
        let periods = UInt64(framesPerPeriod)
        return pacer.start(interval: frameNanoseconds * periods) { n, deadline in
            // Tick n ends period n - 1; tick 0 is the start, with nothing captured yet.
            guard n > 0 else { return true }
            for k in 0..<framesPerPeriod {
                frame((n - 1) * framesPerPeriod + k, deadline - frameNanoseconds * (periods - UInt64(k)))
            }
            return true
        }
    }
}
