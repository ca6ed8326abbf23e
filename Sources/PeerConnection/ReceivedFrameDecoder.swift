import Dispatch
import MediaPrimitives
import MediaCodecs
import RTP
import Synchronization

/// Decodes the frames of one received stream off the network loop and hands them to the
/// sinks, outside every lock.
///
/// Why off the loop: the loop stamps each packet's arrival for transport-cc feedback, and a
/// 720p decode (plus whatever a sink does with the picture) holding it for milliseconds
/// delays the stamps of the packets behind it: the sender's delay-based estimator reads the
/// stall as queueing and lowers the rate (over real UDP the estimate sank to its 30 kbit/s
/// floor on an idle 300 kbit/s link). In simulated time (`RTCSettingEngine.encodesOnEventLoop`)
/// decoding runs inline, where it costs no time.
///
/// A frame that cannot wait (more than `maximumPending` queued) is dropped and counted; the
/// receiver then waits for and asks for a keyframe, since the frames after it reference it.
final class ReceivedFrameDecoder: Sendable {
    /// One whole frame from the jitter buffer.
    struct Frame: Sendable {
        var payload: [UInt8]
        var rtpTimestamp: UInt32
        var isKeyframe: Bool
        /// False after a loss until a keyframe (VP8 frames reference the ones before).
        var isDecodable: Bool
        /// The sender's last SR (its NTP seconds at an RTP timestamp), for the
        /// capture-to-decode delay (RFC 3550 §6.4.1).
        var senderReport: (ntp: Double, rtp: UInt32)?
    }

    /// What getStats shows of the decoding.
    struct Counters: Sendable {
        var framesDecoded: Int64 = 0
        var keyFramesDecoded: Int64 = 0
        var decodeErrors: Int64 = 0
        /// After a loss, until the keyframe asked for (PLI) arrives: counted, not logged.
        var framesAwaitingKeyframe: Int64 = 0
        /// Frames no decoder could take (it did not open; logged once).
        var framesWithoutDecoder: Int64 = 0
        var frameWidth = 0
        var frameHeight = 0
        var recentFrames: [UInt64] = []
        var audioSamples: Int64 = 0
        /// Capture-to-decode delay of recent frames, seconds.
        var latencies: [Double] = []
    }

    private struct Sinks: Sendable {
        var video: [@Sendable (VideoFrame) -> Void] = []
        var encodedVideo: [@Sendable (EncodedVideoFrame) -> Void] = []
        var audio: [@Sendable (AudioFrame) -> Void] = []
        var encodedAudio: [@Sendable (EncodedAudioFrame) -> Void] = []
    }

    private struct Shared: Sendable {
        var sinks = Sinks()
        var counters = Counters()
        var pending = 0
        var stopped = false
        /// Audio only: once started, the jitter buffer takes the packets and decodes them.
        var playout: AudioPlayoutSource?
    }

    /// Touched only by the one decoding context (the queue, or the loop when inline).
    private struct Codec: ~Copyable {
        /// The registered codec's decoder, opened at the first frame.
        var decoder: (any MediaDecoder)?
        var openFailed = false
        /// The RTP timestamp unwrapped from the first frame's, for media times in files.
        var lastRTPTimestamp: UInt32?
        var mediaTime: Int64 = 0
    }

    static let maximumPending = 30

    private let registration: RTCRtpCodecRegistration?
    /// The codec's name in logs.
    private let codecName: String
    private let clockRate: UInt32
    private let channels: Int
    private let clock: MediaClock
    private let queue: DispatchQueue?
    private let shared = Mutex(Shared())
    /// Used only by `decode` and `queueForPlayout`, which run on `queue` (or inline on the
    /// loop): confined, not locked, so the decoder runs without any lock held.
    private let codec = SerialAccess(Codec())

    /// `codec` nil: no decoder (its frames are counted in `framesWithoutDecoder`).
    init(codec: RTCRtpCodecRegistration?, parameters: RTPStreamParameters, clock: MediaClock, inline: Bool) {
        registration = codec
        codecName = parameters.codecName
        clockRate = parameters.clockRate
        channels = max(1, min(2, parameters.channels))
        self.clock = clock
        queue = inline ? nil : DispatchQueue(label: "tincan.decode.\(parameters.kind)")
    }

    func addVideoSink(_ sink: @escaping @Sendable (VideoFrame) -> Void) { shared.withLock { $0.sinks.video.append(sink) } }
    func addEncodedVideoSink(_ sink: @escaping @Sendable (EncodedVideoFrame) -> Void) { shared.withLock { $0.sinks.encodedVideo.append(sink) } }
    func addAudioSink(_ sink: @escaping @Sendable (AudioFrame) -> Void) { shared.withLock { $0.sinks.audio.append(sink) } }
    func addEncodedAudioSink(_ sink: @escaping @Sendable (EncodedAudioFrame) -> Void) { shared.withLock { $0.sinks.encodedAudio.append(sink) } }

    var counters: Counters { shared.withLock { $0.counters } }

    /// Starts the playout of an audio stream (the same one on a second call); nil when the
    /// codec's decoder cannot conceal or does not open (logged).
    func startPlayout() -> AudioPlayoutSource? {
        if let playout = shared.withLock({ $0.playout }) { return playout }
        let decoder: any MediaDecoder
        do throws(CodecError) {
            guard let registration else { return nil }
            decoder = try registration.makeDecoder(channels)
        } catch {
            Log.codecs.warning("no \(codecName) decoder for the playout: \(error)")
            return nil
        }
        guard let concealing = decoder as? any ConcealingAudioDecoder else {
            Log.codecs.warning("the \(codecName) decoder cannot conceal losses: no playout")
            return nil
        }
        let playout = AudioPlayoutSource(decoder: concealing, clock: clock) { [weak self] block, latency in
            guard let self else { return }
            let sinks = shared.withLock { s -> [@Sendable (AudioFrame) -> Void] in
                s.counters.audioSamples += Int64(block.frameCount)
                // Capture to playout: what lip sync is judged by, once the audio waits here.
                if let latency { Self.note(latency, in: &s.counters) }
                return s.sinks.audio
            }
            for sink in sinks { sink(block) }
        }
        return shared.withLock { s in
            if let existing = s.playout { return existing }
            s.playout = playout
            return playout
        }
    }

    /// Back to decoding every frame as it comes, for the sinks (the output went away).
    func stopPlayout() { shared.withLock { $0.playout = nil } }

    /// No more decoding; frames already queued are let go.
    func stop() { shared.withLock { $0.stopped = true } }

    /// Queues a frame for decoding. False when it was dropped (the decoder is behind).
    func submit(_ frame: Frame) -> Bool {
        let accepted = shared.withLock { s -> Bool in
            guard !s.stopped else { return true }
            // Counted by the caller, in the jitter buffer's inbound-rtp `framesDropped`.
            guard s.pending < Self.maximumPending else { return false }
            s.pending += 1
            return true
        }
        guard accepted else { return false }
        if let queue { queue.async { self.decode(frame) } } else { decode(frame) }
        return true
    }

    /// One path for every codec: the registered decoder, then the counters and sinks of
    /// what it gave (pictures or samples).
    private func decode(_ frame: Frame) {
        defer { shared.withLock { $0.pending -= 1 } }
        guard let (sinks, playout) = shared.withLock({ $0.stopped ? nil : ($0.sinks, $0.playout) }) else { return }
        let arrival = clock.captureNanoseconds()
        if let playout {
            queueForPlayout(frame, playout, sinks: sinks)
            return
        }
        // After a loss, until a keyframe: the frames reference what was lost (never for a
        // codec whose every frame is a keyframe, like Opus).
        guard frame.isDecodable else {
            shared.withLock { $0.counters.framesAwaitingKeyframe += 1 }
            return
        }
        let (registration, channels, clockRate) = (registration, channels, clockRate)
        let outcome = codec.withValue { c -> Outcome in
            var openError: String?
            if c.decoder == nil && !c.openFailed, let registration {
                do throws(CodecError) { c.decoder = try registration.makeDecoder(channels) } catch {
                    c.openFailed = true
                    openError = "\(error)"
                }
            }
            guard let decoder = c.decoder else { return .noDecoder(openError: openError) }
            do throws(CodecError) {
                let media = try decoder.decodeFrame(frame.payload, timestamp: arrival)
                return .decoded(media, mediaTime: Self.mediaNanoseconds(&c, frame.rtpTimestamp, clockRate: clockRate))
            } catch {
                return .failed("\(error)")
            }
        }
        guard let (media, mediaTime) = settle(outcome) else { return }
        let latency = latency(of: frame)
        switch media {
        case .video(let pictures): deliver(pictures, of: frame, arrival: arrival, mediaTime: mediaTime, latency: latency, sinks: sinks)
        case .audio(let audio): deliver(audio, of: frame, mediaTime: mediaTime, latency: latency, sinks: sinks)
        }
    }

    /// What a decode came to, counted (and logged outside the codec's lock).
    private enum Outcome {
        case decoded(DecodedMedia, mediaTime: UInt64)
        case noDecoder(openError: String?)
        case failed(String)
    }

    /// Counts a failed outcome; the output of a good one.
    private func settle(_ outcome: Outcome) -> (DecodedMedia, UInt64)? {
        switch outcome {
        case .decoded(let output, let mediaTime): return (output, mediaTime)
        case .noDecoder(let openError):
            shared.withLock { $0.counters.framesWithoutDecoder += 1 }
            if let openError { Log.codecs.warning("no \(codecName) decoder, its frames are dropped: \(openError)") }
        case .failed(let why):
            shared.withLock { $0.counters.decodeErrors += 1 }
            Log.codecs.debug("a \(codecName) frame did not decode: \(why)")
        }
        return nil
    }

    private func deliver(_ pictures: [VideoFrame], of frame: Frame, arrival: UInt64, mediaTime: UInt64, latency: Double?, sinks: Sinks) {
        shared.withLock { s in
            for picture in pictures {
                s.counters.framesDecoded += 1
                if frame.isKeyframe { s.counters.keyFramesDecoded += 1 }
                s.counters.frameWidth = picture.width
                s.counters.frameHeight = picture.height
                s.counters.recentFrames.append(arrival)
            }
            s.counters.recentFrames.removeAll { arrival &- $0 > 1_000_000_000 }
            if let latency { Self.note(latency, in: &s.counters) }
        }
        for picture in pictures {
            for sink in sinks.video { sink(picture) }
            if !sinks.encodedVideo.isEmpty {
                let encoded = EncodedVideoFrame(data: frame.payload, timestamp: mediaTime, isKeyframe: frame.isKeyframe,
                                                width: picture.width, height: picture.height)
                for sink in sinks.encodedVideo { sink(encoded) }
            }
        }
    }

    private func deliver(_ audio: AudioFrame, of frame: Frame, mediaTime: UInt64, latency: Double?, sinks: Sinks) {
        shared.withLock { s in
            s.counters.framesDecoded += 1
            s.counters.audioSamples += Int64(audio.frameCount)
            if let latency { Self.note(latency, in: &s.counters) }
        }
        for sink in sinks.audio { sink(audio) }
        if !sinks.encodedAudio.isEmpty {
            let encoded = EncodedAudioFrame(data: frame.payload, timestamp: mediaTime,
                                            sampleCount: audio.frameCount, channelCount: audio.channelCount)
            for sink in sinks.encodedAudio { sink(encoded) }
        }
    }

    /// An audio frame into the jitter buffer, which decodes it when its time comes; the
    /// encoded sinks get it now.
    private func queueForPlayout(_ frame: Frame, _ playout: AudioPlayoutSource, sinks: Sinks) {
        let frames = playout.insert(frame.payload, rtpTimestamp: frame.rtpTimestamp, senderReport: frame.senderReport)
        shared.withLock { $0.counters.framesDecoded += 1 }
        guard !sinks.encodedAudio.isEmpty, let frames else { return }
        let mediaTime = codec.withValue { Self.mediaNanoseconds(&$0, frame.rtpTimestamp, clockRate: clockRate) }
        let encoded = EncodedAudioFrame(data: frame.payload, timestamp: mediaTime, sampleCount: frames, channelCount: playout.channelCount)
        for sink in sinks.encodedAudio { sink(encoded) }
    }

    var playoutStatistics: AudioPlayoutStatistics? { playout?.statistics }
    var playout: AudioPlayoutSource? { shared.withLock { $0.playout } }

    /// The mean capture-to-decode (or, playing, to playout) delay of the recent frames, seconds.
    var meanLatency: Double? {
        let l = shared.withLock { $0.counters.latencies }
        return l.isEmpty ? nil : l.reduce(0, +) / Double(l.count)
    }

    /// Seconds from capture (the SR maps the sender's RTP clock to its wall clock; both hosts'
    /// wall clocks agree on one machine, and roughly, with NTP, across two) to now.
    private func latency(of frame: Frame) -> Double? {
        Self.secondsSinceCapture(frame.rtpTimestamp, frame.senderReport, clockRate: clockRate, clock: clock)
    }

    /// Seconds from the capture of the sample at `rtpTimestamp` to now, by the sender's SR.
    static func secondsSinceCapture(_ rtpTimestamp: UInt32, _ sr: (ntp: Double, rtp: UInt32)?, clockRate: UInt32,
                                    clock: MediaClock) -> Double? {
        guard let sr else { return nil }
        let elapsed = Double(Int32(bitPattern: rtpTimestamp &- sr.rtp)) / Double(max(1, clockRate))
        return RTCRtpReceiver.ntpSeconds(clock.ntpNow()) - (sr.ntp + elapsed)
    }

    private static func note(_ latency: Double, in c: inout Counters) {
        c.latencies.append(latency)
        if c.latencies.count > 100 { c.latencies.removeFirst() }
    }

    /// Media time of an RTP timestamp, in ns since the first frame (RFC 3550 §5.1: the
    /// timestamp wraps; consecutive frames are never half the range apart).
    private static func mediaNanoseconds(_ c: inout Codec, _ rtp: UInt32, clockRate: UInt32) -> UInt64 {
        if let last = c.lastRTPTimestamp { c.mediaTime += Int64(Int32(bitPattern: rtp &- last)) }
        c.lastRTPTimestamp = rtp
        return MediaTimestamp.nanoseconds(fromUnits: UInt64(max(0, c.mediaTime)), clockRate: Int(max(1, clockRate)))
    }
}
