import LinuxCapture
import MediaCapture
import MediaPrimitives

#if canImport(Glibc)
import Glibc
#endif

/// A user-space virtual microphone: alsa-lib's `file` plugin over `null` returns the bytes
/// of a raw infile exactly (docs/real-devices.md). One asoundrc for the whole test process,
/// since ALSA_CONFIG_PATH is process-wide.
enum FileMicrophoneFixture {
    static let rampSeconds = 0.5
    static let rate = 48000
    /// 0.5 s of mono S16: a pattern with no repeats inside it, so any dropped, doubled or
    /// reordered sample shows.
    static let ramp: [Int16] = (0..<Int(Double(rate) * rampSeconds)).map {
        Int16(truncatingIfNeeded: $0 &* 7919 &+ ($0 >> 3))
    }
    /// 1 s of stereo 440 Hz at 48 kHz.
    static let tone: [Int16] = ToneFrequency.sine(frequency: 440, sampleRate: rate, channelCount: 2, frames: rate)

    /// The directory holding the raw files and the asoundrc; ALSA_CONFIG_PATH points there.
    static let directory: String = {
        var template = Array("/tmp/tincan-alsa-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { buf -> String in
            guard let p = mkdtemp(buf.baseAddress!) else { return "/tmp" }
            return String(cString: p)
        }
        write(ramp, to: dir + "/ramp.raw")
        write(tone, to: dir + "/tone.raw")
        let rc = """
            pcm.tincan_ramp { type file slave.pcm "null" file "/dev/null" infile "\(dir)/ramp.raw" format "raw" }
            pcm.tincan_tone { type file slave.pcm "null" file "/dev/null" infile "\(dir)/tone.raw" format "raw" }
            pcm.tincan_speaker { type file slave.pcm "null" file "\(dir)/speaker.raw" format "raw" }

            """
        writeText(rc, to: dir + "/asoundrc")
        // Added to the path, not replacing it: other suites in this process (PlayoutTests)
        // add their own PCMs the same way.
        let path = getenv("ALSA_CONFIG_PATH").map { String(cString: $0) } ?? "/usr/share/alsa/alsa.conf"
        setenv("ALSA_CONFIG_PATH", "\(path):\(dir)/asoundrc", 1)
        return dir
    }()

    static func write(_ samples: [Int16], to path: String) {
        guard let file = fopen(path, "wb") else { return }
        defer { fclose(file) }
        // Little-endian on x86_64 and arm64: the raw S16_LE layout.
        _ = samples.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    }

    static func writeText(_ text: String, to path: String) {
        guard let file = fopen(path, "w") else { return }
        defer { fclose(file) }
        fputs(text, file)
    }

    static func microphone(_ name: String) -> ALSAMicrophone {
        _ = directory
        return ALSAMicrophone(pcmName: name, label: "test \(name)")
    }
}

/// Collects frames from a capture thread and lets the test wait for a number of them.
final class Collector<Frame: Sendable>: Sendable {
    private let state = Mutex<(frames: [Frame], arrivals: [UInt64], ended: MediaStreamError??)>(([], [], nil))

    var frames: [Frame] { state.withLock { $0.frames } }
    var arrivals: [UInt64] { state.withLock { $0.arrivals } }
    var ended: MediaStreamError?? { state.withLock { $0.ended } }

    func add(_ frame: Frame) {
        let now = MonotonicClock.now()
        state.withLock {
            $0.frames.append(frame)
            $0.arrivals.append(now)
        }
    }

    func end(_ error: MediaStreamError?) { state.withLock { $0.ended = .some(error) } }

    /// Waits (polling) until `count` frames arrived or `seconds` passed.
    func wait(for count: Int, seconds: Double) async -> Bool {
        let deadline = MonotonicClock.now() + UInt64(seconds * 1e9)
        while MonotonicClock.now() < deadline {
            if state.withLock({ $0.frames.count }) >= count { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return state.withLock { $0.frames.count } >= count
    }
}

import Synchronization
