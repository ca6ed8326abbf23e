#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AudioProcessing
import MediaCapture
import MediaPrimitives
import Synchronization

/// What one run of a scenario's microphone track gave.
public struct ScenarioRun: Sendable {
    /// The audio the track's sinks received (what an Opus encoder would get), mono.
    public var delivered: [Int16]
    /// The track's settings, as getUserMedia chose them from the constraints.
    public var settings: MediaTrackSettings
    /// The track's processing at the end (nil: none ran).
    public var processing: AudioProcessingStatistics?
    /// CPU time of the thread that played the far end and captured (processing included).
    public var cpuSeconds: Double
    public var audioSeconds: Double
}

/// A microphone track from `getUserMedia` over a `ScriptedMicrophone`, driven 10 ms at a
/// time: each block of the far end is rendered to the echo reference as a playout would
/// (just before it reaches the speakers), then the block the microphone heard is captured.
enum ScenarioTrack {
    static func run(constraints: String, sampleRate: Int, microphone mic: [Int16], farEnd: [Int16]?) async throws(MediaStreamError) -> ScenarioRun {
        // A reference of the run's own: no other canceller in the process hears this far end.
        let reference = EchoCancellationReference()
        let device = ScriptedMicrophone(sampleRate: sampleRate, channelCount: 1)
        let media = MediaDevices(videoDevices: [], audioDevices: [device], permissions: StaticPermissions(granted: [.microphone]),
                                 indicator: SilentCaptureIndicator(),
                                 options: .init(audioProcessing: AudioProcessingOptions(echoReference: reference)))
        let stream = try await media.getUserMedia(jsonText: #"{"audio": \#(constraints)}"#)
        guard let track = stream.getAudioTracks().first else { throw MediaStreamError(.abortError, "getUserMedia gave no audio track") }
        defer { track.stop() }
        let delivered = Mutex<[Int16]>([])
        delivered.withLock { $0.reserveCapacity(mic.count) }
        track.addAudioSink { frame in delivered.withLock { $0.append(contentsOf: frame.samples) } }

        let block = sampleRate / 100
        let start = threadCPUSeconds()
        for (n, from) in stride(from: 0, to: mic.count - block + 1, by: block).enumerated() {
            let timestamp = UInt64(n) * 10_000_000
            if let farEnd {
                reference.render(AudioFrame(sampleRate: sampleRate, channelCount: 1, samples: Array(farEnd[from..<from + block]), timestamp: timestamp))
            }
            device.deliver(AudioFrame(sampleRate: sampleRate, channelCount: 1, samples: Array(mic[from..<from + block]), timestamp: timestamp))
        }
        let cpu = threadCPUSeconds() - start
        return ScenarioRun(delivered: delivered.withLock { $0 }, settings: track.getSettings(), processing: track.audioProcessing,
                           cpuSeconds: cpu, audioSeconds: Double(mic.count / block) / 100)
    }

    /// CPU seconds of the calling thread (the loop above runs on one thread: no await in it).
    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
