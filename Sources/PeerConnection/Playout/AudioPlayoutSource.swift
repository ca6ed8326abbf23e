import MediaPrimitives
import Synchronization

/// A received audio track's playout (`RTCRtpReceiver.startPlayout()`): the stream's packets,
/// stamped with their arrival on the receiver's decoding context, go into an
/// `AudioJitterBuffer` when an output (an ALSA device on a thread of its own, whose writes
/// block) takes the next 10 ms block with `read()`, as it has room for it. The jitter buffer decodes with the codec's registered decoder: once a
/// playout is started it is the stream's only audio decoder, and the receiver's audio sinks
/// get what it emits (concealment and stretching included), on the reader's thread.
public final class AudioPlayoutSource: Sendable {
    public static let sampleRate = AudioJitterBuffer.sampleRate
    public static let blockFrames = AudioJitterBuffer.blockFrames
    public let channelCount: Int

    /// Touched by the reader's thread only: it decodes there, under a lock nobody else
    /// waits on (packets, the minimum delay and the figures pass through `mailbox`).
    private let buffer: Mutex<AudioJitterBuffer>
    private let decoderType: any ConcealingAudioDecoder.Type
    private let clock: MediaClock

    /// What crosses between the receiver, the application and the reader, briefly locked.
    private struct Mailbox {
        /// Packets in, stamped with their arrival; taken by the next `read()`.
        var packets: [(payload: [UInt8], rtpTimestamp: UInt32, arrival: Duration)] = []
        /// Packets dropped because no `read()` took them (the output stalled).
        var dropped: Int64 = 0
        /// The sender's last SR (its NTP seconds at an RTP timestamp).
        var senderReport: (ntp: Double, rtp: UInt32)?
        var sync = LipSync()
        /// Seconds: the application's `jitterBufferTarget`, and the output device's queue.
        var requested = 0.0
        var output = 0.0
        /// The figures after the last `read()`.
        var statistics = AudioPlayoutStatistics()
        var targetDelay = 0.0
        var minimumDelay: Double { max(requested, sync.audioExtraDelay) }
    }
    private let mailbox = Mutex(Mailbox())
    /// 2 s of 20 ms packets waiting for a reader at most.
    static let mailboxCapacity = 100

    /// The receiver's audio sinks, given each emitted block outside the lock, with the
    /// seconds from its capture (by the SR) to now.
    private let deliver: @Sendable (AudioFrame, Double?) -> Void

    init(decoder: sending any ConcealingAudioDecoder, clock: MediaClock, deliver: @escaping @Sendable (AudioFrame, Double?) -> Void) {
        channelCount = decoder.channelCount
        decoderType = type(of: decoder)
        buffer = Mutex(AudioJitterBuffer(decoder: decoder))
        self.clock = clock
        self.deliver = deliver
    }

    /// One packet, arrived now. Returns its samples per channel (nil: not a packet of the codec).
    func insert(_ payload: [UInt8], rtpTimestamp: UInt32, senderReport sr: (ntp: Double, rtp: UInt32)?) -> Int? {
        let now = clock.now()
        mailbox.withLock { m in
            if let sr { m.senderReport = sr }
            m.packets.append((payload, rtpTimestamp, now))
            if m.packets.count > Self.mailboxCapacity {
                m.packets.removeFirst()
                m.dropped += 1
            }
        }
        return decoderType.frameCount(of: payload)
    }

    /// The next 10 ms of interleaved 48 kHz samples (silence until the first packets are
    /// buffered). Made when asked: call it as the output consumes, not ahead of it, from one
    /// thread.
    public func read() -> AudioFrame {
        let now = clock.now()
        let (packets, minimum, dropped, sr) = mailbox.withLock { m in
            // Taken out, not emptied in place: the storage handed out would be copied.
            defer { m.packets = [] }
            return (m.packets, m.minimumDelay, m.dropped, m.senderReport)
        }
        let (samples, emitted, statistics, target) = buffer.withLock { b in
            for p in packets { b.insert(p.payload, rtpTimestamp: p.rtpTimestamp, at: p.arrival) }
            b.minimumDelay = minimum
            let samples = b.pull(at: now)
            return (samples, b.emittedTimestamp, b.statistics, b.targetDelay)
        }
        mailbox.withLock { m in
            m.statistics = statistics
            m.statistics.packetsDiscardedLate += dropped
            m.statistics.lipSyncDelay = m.sync.audioExtraDelay
            m.targetDelay = target
        }
        let frame = AudioFrame(sampleRate: Self.sampleRate, channelCount: channelCount, samples: samples,
                               timestamp: clock.captureNanoseconds())
        guard let emitted else { return frame }
        let latency = ReceivedFrameDecoder.secondsSinceCapture(emitted, sr, clockRate: UInt32(Self.sampleRate), clock: clock)
        deliver(frame, latency)
        return frame
    }

    /// The figures as of the last `read()`.
    public var statistics: AudioPlayoutStatistics { mailbox.withLock { $0.statistics } }
    /// Seconds, as of the last `read()`.
    public var targetDelay: Double { mailbox.withLock { $0.targetDelay } }

    /// Seconds the output keeps queued ahead of what plays (ALSA's 20 ms): part of the
    /// audio's delay for lip sync.
    public var outputLatency: Double {
        get { mailbox.withLock { $0.output } }
        set { mailbox.withLock { $0.output = max(0, newValue) } }
    }

    /// The application's preferred minimum delay, seconds (`RTCRtpReceiver.jitterBufferTarget`).
    func setRequestedDelay(_ seconds: Double) { mailbox.withLock { $0.requested = max(0, seconds) } }

    /// One lip-sync update from the capture-to-playout delay of this audio (before its
    /// output's queue) and the capture-to-display delay of the video; the next `read()`
    /// applies it. Returns the state.
    @discardableResult
    func synchronize(audioDelay: Double, videoDelay: Double) -> LipSync {
        mailbox.withLock { m in
            m.sync.update(audioDelay: audioDelay + m.output, videoDelay: videoDelay)
            return m.sync
        }
    }
}
