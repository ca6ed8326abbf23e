import CALSA
import MediaCapture
import MediaPrimitives
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A running ALSA capture: a thread reads 10 ms chunks and delivers them in real time.
///
/// Pacing: a real device paces reads by itself; alsa-lib's user-space plugins (`file`,
/// `null`) return data as fast as asked. Each chunk k is therefore held until
/// `start + (k+1) x 10 ms` on MonotonicClock, so a call fed by such a device still runs in
/// real time. When the device itself made the reader wait for a chunk (a real sound card),
/// the schedule follows the device instead, so a card whose clock runs slightly fast never
/// builds a backlog.
public final class ALSACaptureSession: CaptureSession {
    private let pcmBox: Mutex<ALSAPCM?>
    private let thread = CaptureThreadHandle()
    private let overrunTotal = Atomic<Int>(0)
    private let chunkTotal = Atomic<Int>(0)
    private let label: String
    public let sampleRate: Int
    public let channelCount: Int

    /// Overruns (the reader fell behind the device and samples were lost) recovered so far.
    public var overruns: Int { overrunTotal.load(ordering: .relaxed) }
    /// 10 ms chunks delivered so far.
    public var chunksDelivered: Int { chunkTotal.load(ordering: .relaxed) }

    private init(pcm: sending ALSAPCM, label: String) {
        sampleRate = pcm.sampleRate
        channelCount = pcm.channelCount
        self.label = label
        pcmBox = Mutex(pcm)
    }

    static func start(
        pcm: sending ALSAPCM, label: String,
        onFrame: @escaping @Sendable (AudioFrame) -> Void,
        onEnd: @escaping CaptureEndHandler
    ) throws(MediaStreamError) -> ALSACaptureSession {
        let session = ALSACaptureSession(pcm: pcm, label: label)
        guard session.thread.start({ session.run(onFrame: onFrame, onEnd: onEnd) }) else {
            session.pcmBox.withLock { $0 = nil }
            throw MediaStreamError(.notReadableError, "\(label): cannot start a capture thread")
        }
        return session
    }

    /// Stops and waits until the capture thread has closed the PCM (unless called from the
    /// capture thread itself, which then closes it as soon as the callback returns).
    public func stop() {
        thread.stop()
    }

    private func run(onFrame: @Sendable (AudioFrame) -> Void, onEnd: CaptureEndHandler) {
        // The capture thread is the PCM's only user from here on; it closes it on exit.
        guard let pcm = pcmBox.withLock({ box -> ALSAPCM? in defer { box = nil }; return box }) else { return }
        defer { pcm.close() }
        let rate = pcm.sampleRate, channels = pcm.channelCount
        let chunk = max(1, rate / 100)
        let chunkNanos = Double(chunk) * 1e9 / Double(rate)
        var samples = [Int16](repeating: 0, count: chunk * channels)
        var wide = [Int32](repeating: 0, count: pcm.sampleBytes == 4 ? chunk * channels : 0)
        var filled = 0
        var anchor = MonotonicClock.now()
        var index: UInt64 = 0
        var lastData = anchor
        // Whether the current chunk had to be waited for: a device that paces itself.
        var devicePaced = false
        let stallLimit: UInt64 = 3_000_000_000
        _ = snd_pcm_start(pcm.handle)

        func fail(_ message: String) {
            guard thread.markStopping() else { return }
            pcm.close()
            onEnd(MediaStreamError(.notReadableError, message))
        }

        while !thread.isStopping {
            let want = snd_pcm_uframes_t(chunk - filled)
            let got: Int
            if pcm.sampleBytes == 2 {
                got = samples.withUnsafeMutableBufferPointer { buf in
                    Int(snd_pcm_readi(pcm.handle, buf.baseAddress! + filled * channels, want))
                }
            } else {
                got = wide.withUnsafeMutableBufferPointer { buf in
                    Int(snd_pcm_readi(pcm.handle, buf.baseAddress! + filled * channels, want))
                }
                if got > 0 {
                    for i in (filled * channels)..<((filled + got) * channels) {
                        samples[i] = Int16(truncatingIfNeeded: wide[i] >> 16)
                    }
                }
            }
            if got > 0 {
                filled += got
                lastData = MonotonicClock.now()
                guard filled == chunk else { continue }
                filled = 0
                defer { devicePaced = false }
                // Pace: chunk `index` is due at anchor + (index + 1) chunks.
                let due = anchor + UInt64(Double(index + 1) * chunkNanos)
                let now = MonotonicClock.now()
                if now < due {
                    if devicePaced {
                        anchor -= due - now  // the device made us wait: follow its clock
                    } else {
                        CaptureThread.sleep(until: due)
                    }
                } else if now - due > 200_000_000 {
                    // Far behind (after an overrun or a stall): restart the schedule here.
                    anchor = now - UInt64(Double(index + 1) * chunkNanos)
                }
                let timestamp = anchor + UInt64(Double(index) * chunkNanos)
                index += 1
                if thread.isStopping { return }
                chunkTotal.add(1, ordering: .relaxed)
                onFrame(AudioFrame(sampleRate: rate, channelCount: channels, samples: samples, timestamp: timestamp))
                continue
            }
            let code = Int32(got)
            if got == 0 || code == -EAGAIN {
                devicePaced = true
                let waited = snd_pcm_wait(pcm.handle, 100)
                if waited < 0 && waited != -EPIPE && waited != -ESTRPIPE && waited != -EAGAIN {
                    return fail(Self.message(waited, label: label))
                }
                if MonotonicClock.now() - lastData > stallLimit {
                    return fail("\(label) stopped delivering audio")
                }
            } else if code == -EPIPE {
                overrunTotal.add(1, ordering: .relaxed)
                filled = 0
                if snd_pcm_prepare(pcm.handle) < 0 { return fail("\(label): cannot recover from an overrun") }
                _ = snd_pcm_start(pcm.handle)
            } else if code == -ESTRPIPE {
                var rc = snd_pcm_resume(pcm.handle)
                while rc == -EAGAIN && !thread.isStopping {
                    usleep(10_000)
                    rc = snd_pcm_resume(pcm.handle)
                }
                if rc < 0 && snd_pcm_prepare(pcm.handle) < 0 { return fail("\(label): cannot resume after suspend") }
            } else {
                return fail(Self.message(code, label: label))
            }
        }
    }

    static func message(_ code: Int32, label: String) -> String {
        if code == -ENODEV || code == -EBADFD || code == -ENXIO || code == -EIO {
            return "\(label) was disconnected"
        }
        let text = snd_strerror(code).map { String(cString: $0) } ?? "error \(code)"
        return "\(label): read failed: \(text)"
    }
}
