import Logging
import MediaPrimitives
import MediaCodecs
import RTP
import Synchronization

/// Receives one remote track (WebRTC 1.0 §5.3): SRTP-clear RTP goes through a jitter buffer
/// that reorders, NACKs, unwraps RTX and asks for keyframes (`RTPReceiveStream`), whole frames
/// are decoded by the negotiated codec's decoder (its `RTCRtpCodecRegistration`) and handed
/// to the sinks: one path whatever the codec. The SSRC comes from the remote SDP
/// (`a=ssrc`) or, when the peer leaves it out, is learned from the first packet of the
/// negotiated payload type.
public final class RTCRtpReceiver: Sendable {
    public let kind: RTPMediaKind
    /// The `msid` track id the peer announced, if any.
    public let trackId: String?

    private struct State {
        var parameters: RTPStreamParameters
        var localSSRC: UInt32
        /// The jitter buffer, for the codec's depacketizer (nil until the SSRC is known).
        var buffer: (any RTPFrameAssembler)?
        var ended = false
        /// Drops before the jitter buffer (getStats inbound-rtp, non-standard members):
        /// nothing from the peer is dropped unseen.
        var srtpUnprotectFailures: Int64 = 0
        var packetsMalformed: Int64 = 0
        /// The sender's last SR: its wall clock (NTP, seconds) at an RTP timestamp.
        var senderReport: (ntp: Double, rtp: UInt32)?
        var jitterBufferTarget: Double?
    }

    private let state: Mutex<State>

    private let clock: MediaClock
    private let decoder: ReceivedFrameDecoder
    /// The negotiated codec (nil: not one of `codecs`; its packets are then not taken).
    private let codec: RTCRtpCodecRegistration?

    /// `decodesInline`: decode on the caller (the loop, in simulated time) instead of a queue
    /// of the receiver's own.
    init(parameters: RTPStreamParameters, localSSRC: UInt32, trackId: String?, clock: MediaClock,
         codecs: RTCRtpCodecRegistry = .tincan, decodesInline: Bool = false) {
        kind = parameters.kind
        self.trackId = trackId
        self.clock = clock
        let codec = codecs.codec(for: parameters)
        self.codec = codec
        if codec == nil { Log.codecs.warning("no registered codec \(parameters.codecName)/\(parameters.clockRate): its packets are dropped") }
        decoder = ReceivedFrameDecoder(codec: codec, parameters: parameters, clock: clock, inline: decodesInline)
        state = Mutex(State(parameters: parameters, localSSRC: localSSRC))
        if parameters.ssrc != 0 { state.withLock { Self.makeBuffer(&$0, ssrc: parameters.ssrc, codec: codec) } }
    }

    private static func makeBuffer(_ s: inout State, ssrc: UInt32, codec: RTCRtpCodecRegistration?) {
        guard let codec else { return }
        let p = s.parameters
        let config = RTPReceiveStreamConfiguration(
            ssrc: ssrc, payloadType: p.payloadType, clockRate: p.clockRate, rtxSSRC: p.rtxSSRC,
            rtxPayloadType: p.rtxPayloadType, localSSRC: s.localSSRC, cname: p.cname,
            nackEnabled: p.nack, keyframeRequestsEnabled: p.pli, reducedSizeRTCP: p.reducedSizeRTCP,
            // A call's first frame is not held back for reordering: it would only add latency
            // to what users notice most (the time to first picture).
            startupDelay: .zero)
        s.parameters.ssrc = ssrc
        s.buffer = makeFrameAssembler(codec.depacketizer, configuration: config)
    }

    /// Decoded pictures, on the receiver's decoding thread (in order, one at a time): a slow
    /// sink delays the next picture, not the network.
    public func addVideoSink(_ sink: @escaping @Sendable (VideoFrame) -> Void) { decoder.addVideoSink(sink) }
    /// The frames as received (VP8 as sent, after each decodes), to record without
    /// re-encoding; timestamps are nanoseconds of media time from the first frame.
    public func addEncodedVideoSink(_ sink: @escaping @Sendable (EncodedVideoFrame) -> Void) { decoder.addEncodedVideoSink(sink) }
    /// The Opus packets as received, with their media time.
    public func addEncodedAudioSink(_ sink: @escaping @Sendable (EncodedAudioFrame) -> Void) { decoder.addEncodedAudioSink(sink) }

    /// Decoded 48 kHz audio, 20 ms at a time.
    public func addAudioSink(_ sink: @escaping @Sendable (AudioFrame) -> Void) { decoder.addAudioSink(sink) }

    /// Plays this audio stream through an adaptive jitter buffer (`AudioPlayoutSource`): the
    /// output reads 10 ms blocks from it. From then on the audio sinks get what is played.
    /// Nil for a video stream, or when the codec's decoder cannot conceal losses.
    public func startPlayout() -> AudioPlayoutSource? {
        guard kind == .audio, let playout = decoder.startPlayout() else { return nil }
        playout.setRequestedDelay((jitterBufferTarget ?? 0) / 1000)
        return playout
    }

    /// The application's preferred jitter buffer delay in milliseconds, 0...4000 (webrtc-pc
    /// §5.3, `jitterBufferTarget`; values outside are clamped where the spec throws a
    /// RangeError); nil leaves it to the buffer. A playing audio stream waits at least this
    /// long; video frames are handed on as they decode, so it does not change them.
    public var jitterBufferTarget: Double? {
        get { state.withLock { $0.jitterBufferTarget } }
        set {
            let target = newValue.map { max(0, min(4000, $0.isFinite ? $0 : 0)) }
            state.withLock { $0.jitterBufferTarget = target }
            decoder.playout?.setRequestedDelay((target ?? 0) / 1000)
        }
    }

    /// Lip sync of this playing audio stream with `video` (`LipSync`), by their capture
    /// delays through their SRs. Nothing before both have SRs.
    func synchronize(with video: RTCRtpReceiver) {
        guard kind == .audio, video.kind == .video, let playout = decoder.playout,
              let audioDelay = decoder.meanLatency, let videoDelay = video.decoder.meanLatency else { return }
        playout.synchronize(audioDelay: audioDelay, videoDelay: videoDelay)
    }

    /// Ends the playout (its output could not open, or failed): the audio sinks get every
    /// decoded frame again, as before `startPlayout()`.
    public func stopPlayout() { decoder.stopPlayout() }

    var ssrc: UInt32 { state.withLock { $0.parameters.ssrc } }

    /// True if a packet with this SSRC and payload type is ours (learning the SSRC, or the
    /// RTX SSRC, from the first packet when the SDP did not say).
    func accepts(ssrc: UInt32, payloadType: UInt8) -> Bool {
        guard let codec else { return false }
        return state.withLock { s in
            let p = s.parameters
            if ssrc == p.ssrc && p.ssrc != 0 { return true }
            if let rtx = p.rtxSSRC, rtx == ssrc { return true }
            if p.ssrc == 0, payloadType == p.payloadType {
                Self.makeBuffer(&s, ssrc: ssrc, codec: codec)
                return true
            }
            if p.rtxSSRC == nil, let rtxPT = p.rtxPayloadType, payloadType == rtxPT, p.ssrc != 0 {
                s.parameters.rtxSSRC = ssrc
                Self.makeBuffer(&s, ssrc: p.ssrc, codec: codec)  // a fresh buffer that knows the RTX stream
                return true
            }
            return false
        }
    }

    /// Mutates the jitter buffer taken out of the state, so that it is the only reference and
    /// its ring is not copied on write (per packet, that copy would be most of the work).
    private static func withBuffer(_ s: inout State, _ body: (inout any RTPFrameAssembler) -> Void) {
        guard var buffer = s.buffer.take() else { return }
        body(&buffer)
        s.buffer = buffer
    }

    /// One clear RTP packet of this stream. Whole frames go to the decoder, outside the lock.
    /// Returns when `poll` is next due (`RTPReceiveStream.nextDeadline`): a gap the packet
    /// revealed brings its NACK forward.
    @discardableResult
    func receive(_ packet: [UInt8]) -> Duration? {
        let (frames, malformed, deadline) = state.withLock { s -> ([ReceivedFrameDecoder.Frame], String?, Duration?) in
            guard !s.ended else { return ([], nil, nil) }
            let now = clock.now()
            var frames: [ReceivedFrameDecoder.Frame] = []
            var malformed: RTPError?
            let sr = s.senderReport
            packet.withUnsafeBytes { raw in
                Self.withBuffer(&s) { r in
                    do throws(RTPError) { try r.receive(raw, at: now) { f, b in frames.append(Self.frame(f, b, sr)) } }
                    catch { malformed = error }
                }
            }
            let deadline = s.buffer?.nextDeadline(after: now)
            if let malformed {
                s.packetsMalformed += 1
                return (frames, "\(malformed)", deadline)
            }
            return (frames, nil, deadline)
        }
        if let malformed { Log.rtp.debug("dropped a malformed RTP packet of SSRC \(ssrc): \(malformed)") }
        decode(frames)
        return deadline
    }

    /// A packet of this stream that failed SRTP authentication (a replay, a forgery).
    func unprotectFailed() { state.withLock { $0.srtpUnprotectFailures += 1 } }

    private static func frame(_ f: RTPAssembledFrame, _ bytes: UnsafeRawBufferPointer,
                              _ sr: (ntp: Double, rtp: UInt32)?) -> ReceivedFrameDecoder.Frame {
        ReceivedFrameDecoder.Frame(payload: Array(bytes), rtpTimestamp: f.timestamp, isKeyframe: f.isKeyframe,
                                   isDecodable: f.isDecodable, senderReport: sr)
    }

    /// A frame the decoder could not take is lost to it: the jitter buffer waits for a keyframe
    /// and asks for one (the frames after it reference it).
    private func decode(_ frames: [ReceivedFrameDecoder.Frame]) {
        for frame in frames where !decoder.submit(frame) {
            state.withLock { s in Self.withBuffer(&s) { $0.decoderLostFrame() } }
        }
    }

    /// RTCP from the peer's sender (SR for LSR/DLSR, XR DLRR for the RTT).
    static func ntpSeconds(_ ntp: UInt64) -> Double { Double(ntp >> 32) + Double(ntp & 0xFFFF_FFFF) / 4_294_967_296 }

    func handleRTCP(_ packets: [RTCPPacket]) {
        state.withLock { s in
            let now = clock.now()
            for case .senderReport(let sr) in packets where sr.ssrc == s.parameters.ssrc {
                s.senderReport = (Self.ntpSeconds(sr.ntpTimestamp), sr.rtpTimestamp)
            }
            Self.withBuffer(&s) { $0.handleRTCP(packets, at: now) }
        }
    }

    /// Gives up late frames and returns the RTCP due now (NACK, PLI, RR), clear, and when
    /// to poll next (nil: nothing waits until a packet comes).
    func poll() -> (rtcp: [[UInt8]], nextDeadline: Duration?) {
        let (rtcp, frames, deadline) = state.withLock { s -> ([[UInt8]], [ReceivedFrameDecoder.Frame], Duration?) in
            let now = clock.now()
            var rtcp: [[UInt8]] = []
            var frames: [ReceivedFrameDecoder.Frame] = []
            let sr = s.senderReport
            Self.withBuffer(&s) { $0.poll(at: now, onFrame: { f, b in frames.append(Self.frame(f, b, sr)) }, sendRTCP: { rtcp.append(Array($0)) }) }
            return (rtcp, frames, s.buffer?.nextDeadline(after: now))
        }
        decode(frames)
        return (rtcp, deadline)
    }

    func stop() {
        state.withLock { $0.ended = true }
        decoder.stop()
    }

    /// inbound-rtp figures of this stream.
    struct Statistics: Sendable {
        var rtp: RTCInboundRtpStreamStats
        var framesDecoded: Int64
        var keyFramesDecoded: Int64
        var decodeErrors: Int64
        var srtpUnprotectFailures: Int64
        var packetsMalformed: Int64
        var framesAwaitingKeyframe: Int64
        var framesWithoutDecoder: Int64
        var frameWidth: Int
        var frameHeight: Int
        var framesPerSecond: Int
        var audioSamples: Int64
        /// Mean capture-to-decode delay over the last frames, seconds; nil before an SR.
        var latency: Double?
        /// The jitter buffer's, once a playout started.
        var playout: AudioPlayoutStatistics?
    }

    var statistics: Statistics {
        let (rtp, unprotect, malformed) = state.withLock { s -> (RTCInboundRtpStreamStats, Int64, Int64) in
            let rtp = s.buffer?.statistics ?? RTCInboundRtpStreamStats()
            return (rtp, s.srtpUnprotectFailures, s.packetsMalformed)
        }
        let c = decoder.counters
        let now = clock.captureNanoseconds()
        return Statistics(rtp: rtp, framesDecoded: c.framesDecoded, keyFramesDecoded: c.keyFramesDecoded,
                          decodeErrors: c.decodeErrors, srtpUnprotectFailures: unprotect, packetsMalformed: malformed,
                          framesAwaitingKeyframe: c.framesAwaitingKeyframe, framesWithoutDecoder: c.framesWithoutDecoder,
                          frameWidth: c.frameWidth, frameHeight: c.frameHeight,
                          framesPerSecond: c.recentFrames.filter { now &- $0 <= 1_000_000_000 }.count,
                          audioSamples: c.audioSamples,
                          latency: c.latencies.isEmpty ? nil : c.latencies.reduce(0, +) / Double(c.latencies.count),
                          playout: decoder.playoutStatistics)
    }
}
