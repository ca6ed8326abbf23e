import MediaPrimitives
import Synchronization

/// A received audio track's playout (`RTCRtpReceiver.startPlayout()`): the stream's packets
/// go into an `AudioJitterBuffer` on the receiver's decoding context, and an output (an ALSA
/// device on a thread of its own, whose writes block) takes 10 ms blocks with `read()` when it
/// has room for them. The jitter buffer decodes with the codec's registered decoder: once a
/// playout is started it is the stream's only audio decoder, and the receiver's audio sinks
/// get what it emits (concealment and stretching included), on the reader's thread.
public final class AudioPlayoutSource: Sendable {
    public static let sampleRate = AudioJitterBuffer.sampleRate
    public static let blockFrames = AudioJitterBuffer.blockFrames
    public let channelCount: Int

    private let buffer: Mutex<AudioJitterBuffer>
    /// The sender's last SR (its NTP seconds at an RTP timestamp).
    private let senderReport = Mutex<(ntp: Double, rtp: UInt32)?>(nil)
    private let clock: MediaClock
    private struct Delays {
        var sync = LipSync()
        /// Seconds: the application's `jitterBufferTarget`, and the output device's queue.
        var requested = 0.0
        var output = 0.0
    }
    private let delays = Mutex(Delays())
    /// The receiver's audio sinks, given each emitted block outside the lock, with the
    /// seconds from its capture (by the SR) to now.
    private let deliver: @Sendable (AudioFrame, Double?) -> Void

    init(decoder: sending any ConcealingAudioDecoder, clock: MediaClock, deliver: @escaping @Sendable (AudioFrame, Double?) -> Void) {
        channelCount = decoder.channelCount
        buffer = Mutex(AudioJitterBuffer(decoder: decoder))
        self.clock = clock
        self.deliver = deliver
    }

    /// One packet, now. Returns its samples per channel (nil: not a packet of the codec).
    func insert(_ payload: [UInt8], rtpTimestamp: UInt32, senderReport sr: (ntp: Double, rtp: UInt32)?) -> Int? {
        let now = clock.now()
        if let sr { senderReport.withLock { $0 = sr } }
        return buffer.withLock { b in
            b.insert(payload, rtpTimestamp: rtpTimestamp, at: now)
            return b.frameCount(of: payload)
        }
    }

    /// The next 10 ms of interleaved 48 kHz samples (silence until the first packets are
    /// buffered). Made when asked: call it as the output consumes, not ahead of it.
    public func read() -> AudioFrame {
        let now = clock.now()
        let (samples, emitted) = buffer.withLock { b in (b.pull(at: now), b.emittedTimestamp) }
        let frame = AudioFrame(sampleRate: Self.sampleRate, channelCount: channelCount, samples: samples,
                               timestamp: clock.captureNanoseconds())
        guard let emitted else { return frame }
        let latency = ReceivedFrameDecoder.secondsSinceCapture(emitted, senderReport.withLock { $0 },
                                                               clockRate: UInt32(Self.sampleRate), clock: clock)
        deliver(frame, latency)
        return frame
    }

    public var statistics: AudioPlayoutStatistics {
        var s = buffer.withLock { $0.statistics }
        s.lipSyncDelay = delays.withLock { $0.sync.audioExtraDelay }
        return s
    }

    /// Seconds the output keeps queued ahead of what plays (ALSA's 20 ms): part of the
    /// audio's delay for lip sync.
    public var outputLatency: Double {
        get { delays.withLock { $0.output } }
        set { delays.withLock { $0.output = max(0, newValue) } }
    }

    /// The application's preferred minimum delay, seconds (`RTCRtpReceiver.jitterBufferTarget`).
    func setRequestedDelay(_ seconds: Double) {
        let minimum = delays.withLock { d -> Double in
            d.requested = max(0, seconds)
            return max(d.requested, d.sync.audioExtraDelay)
        }
        buffer.withLock { $0.minimumDelay = minimum }
    }

    /// One lip-sync update from the capture-to-playout delay of this audio (before its
    /// output's queue) and the capture-to-display delay of the video. Returns the state.
    @discardableResult
    func synchronize(audioDelay: Double, videoDelay: Double) -> LipSync {
        let (minimum, sync) = delays.withLock { d -> (Double, LipSync) in
            d.sync.update(audioDelay: audioDelay + d.output, videoDelay: videoDelay)
            return (max(d.requested, d.sync.audioExtraDelay), d.sync)
        }
        buffer.withLock { $0.minimumDelay = minimum }
        return sync
    }
    /// Seconds.
    public var targetDelay: Double { buffer.withLock { $0.targetDelay } }
}
