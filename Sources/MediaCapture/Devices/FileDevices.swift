import AudioProcessing
import MediaPrimitives
import Synchronization

/// A camera that plays a YUV4MPEG2 file in a loop at the file's frame rate (like Chromium's
/// `--use-file-for-fake-video-capture`). Its one native mode is the file's size and rate.
public final class Y4MFileCamera: VideoCaptureDevice {
    public let path: String
    public let deviceId: String
    public let groupId: String
    public let label: String
    public let facingMode: String? = nil
    public let modes: [VideoMode]
    public let resizeModes: [String] = ["none", "crop-and-scale"]
    /// Paced: a busy sink costs frames (counted in the log), never latency.
    public var toleratesSlowSinks: Bool { true }
    /// Real time by default; tests and simulated calls pass their own clock.
    public let pacer: any CapturePacer
    private let registry = SessionRegistry()

    public init(path: String, deviceId: String = "file-camera", groupId: String = "file-group",
                pacer: any CapturePacer = RealTimePacer()) throws(MediaFileError) {
        let reader = try Y4MReader(path: path)
        self.pacer = pacer
        self.path = path
        self.deviceId = deviceId
        self.groupId = groupId
        self.label = "Video file \(path)"
        self.modes = [VideoMode(width: reader.width, height: reader.height, frameRate: reader.frameRate)]
    }

    public var openSessionCount: Int { registry.count }

    public func start(mode: VideoMode, onFrame: @escaping @Sendable (VideoFrame) -> Void,
                      onEnd: @escaping CaptureEndHandler) throws(MediaStreamError) -> CaptureSession {
        let reader: Y4MReader
        do { reader = try Y4MReader(path: path) } catch {
            throw MediaStreamError(.notReadableError, "cannot read the video file: \(error)")
        }
        // The reader and the frames it reads into: a pool of 4 outlasts the encoder's queue
        // (2 waiting, 1 encoding), so a warm camera allocates no frame.
        let file = Mutex((reader: reader, pool: VideoFramePool(count: 4)))
        let session = PacedSession(onEnd: onEnd, onStop: {})
        registry.add(session)
        let interval = UInt64((1e9 / max(mode.frameRate, 0.001)).rounded())
        let path = self.path
        let skipped = SkippedFrames(label: label)
        let thread = pacer.start(interval: interval, skippingLateTicks: true) { n, deadline in
            skipped.tick(n, now: deadline)
            let result: Result<VideoFrame?, MediaFileError> = file.withLock { f in
                do throws(MediaFileError) {
                    if let frame = try f.reader.nextFrame(timestamp: deadline, from: &f.pool) { return .success(frame) }
                    try f.reader.rewind()
                    return .success(try f.reader.nextFrame(timestamp: deadline, from: &f.pool))
                } catch { return .failure(error) }
            }
            switch result {
            case .success(let frame?):
                onFrame(frame)
                return true
            case .success(nil):
                session.end(MediaStreamError(.notReadableError, "\(path) holds no frames"))
                return false
            case .failure(let error):
                session.end(MediaStreamError(.notReadableError, "reading \(error)"))
                return false
            }
        }
        session.attach(thread)
        return RegisteredSession(session, registry)
    }
}

/// A microphone that plays a 16-bit PCM WAV file in a loop, in 10 ms frames two at a time
/// (`MicrophonePeriod`), on its pacer's clock.
public final class WAVFileMicrophone: AudioCaptureDevice {
    public let path: String
    public let deviceId: String
    public let groupId: String
    public let label: String
    public let capabilities: AudioDeviceCapabilities
    public let defaultMode: AudioMode
    /// Sent as recorded unless asked otherwise: there is no echo or room in a file, and
    /// autoGainControl would change its levels.
    public var processingDefaults: AudioProcessingDefaults { .off }
    private let samples: [Int16]
    /// Real time by default; tests and simulated calls pass their own clock.
    public let pacer: any CapturePacer
    private let registry = SessionRegistry()

    public init(path: String, deviceId: String = "file-microphone", groupId: String = "file-group",
                pacer: any CapturePacer = RealTimePacer()) throws(MediaFileError) {
        let reader = try WAVReader(path: path)
        self.pacer = pacer
        guard !reader.samples.isEmpty else { throw MediaFileError(path: path, "holds no samples") }
        self.path = path
        self.deviceId = deviceId
        self.groupId = groupId
        self.label = "Audio file \(path)"
        self.samples = reader.samples
        self.capabilities = AudioDeviceCapabilities(sampleRates: [reader.sampleRate], sampleSizes: [16],
                                                    channelCounts: [reader.channelCount])
        self.defaultMode = AudioMode(sampleRate: reader.sampleRate, channelCount: reader.channelCount)
    }

    public var openSessionCount: Int { registry.count }

    public func start(mode: AudioMode, onFrame: @escaping @Sendable (AudioFrame) -> Void,
                      onEnd: @escaping CaptureEndHandler) throws(MediaStreamError) -> CaptureSession {
        guard mode.sampleRate == defaultMode.sampleRate, mode.channelCount == defaultMode.channelCount else {
            throw MediaStreamError(.notReadableError, "\(path) is \(defaultMode.sampleRate) Hz x\(defaultMode.channelCount) only")
        }
        let session = PacedSession(onEnd: onEnd, onStop: {})
        registry.add(session)
        let samples = self.samples, channels = mode.channelCount, rate = mode.sampleRate
        let perFrame = rate / 100 * channels
        // The frames' buffers: the track's sinks let each go before the next 10 ms (the
        // encoder copies into its own), so the pool's two are reused from then on.
        let pool = Mutex(AudioFramePool())
        let thread = MicrophonePeriod.start(pacer) { n, timestamp in
            // The frame's samples from the loop's position on, wrapping at the file's end:
            // a copy per contiguous run, not a bounds-checked step per sample.
            let frame = pool.withLock { pool in
                pool.makeFrame(sampleRate: rate, channelCount: channels, frameCount: perFrame / channels,
                               timestamp: timestamp) { buffer in
                    var at = (n * perFrame) % samples.count, count = 0
                    samples.withUnsafeBufferPointer { source in
                        while count < perFrame {
                            let run = min(perFrame - count, source.count - at)
                            _ = UnsafeMutableBufferPointer(rebasing: buffer[count..<count + run])
                                .update(from: UnsafeBufferPointer(rebasing: source[at..<at + run]))
                            count += run
                            at = (at + run) % source.count
                        }
                    }
                }
            }
            onFrame(frame)
        }
        session.attach(thread)
        return RegisteredSession(session, registry)
    }
}
