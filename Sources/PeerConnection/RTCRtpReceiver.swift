import Logging
import MediaCapture
import MediaCodecs
import RTP
import Synchronization

/// Receives one remote track (WebRTC 1.0 §5.3): SRTP-clear RTP goes through a jitter buffer
/// that reorders, NACKs, unwraps RTX and asks for keyframes (`RTPReceiver`), whole frames
/// are decoded (VP8 / Opus) and handed to the sinks. The SSRC comes from the remote SDP
/// (`a=ssrc`) or, when the peer leaves it out, is learned from the first packet of the
/// negotiated payload type.
public final class RTCRtpReceiver: Sendable {
    public let kind: RTPStreamParameters.Kind
    /// The `msid` track id the peer announced, if any.
    public let trackId: String?

    private enum Buffer: Sendable {
        case video(RTPReceiver<VP8Depacketizer>)
        case audio(RTPReceiver<OpusDepacketizer>)
    }

    private final class Decoders {
        var vp8: VP8Decoder?
        var opus: OpusDecoder?
    }

    private struct State {
        var parameters: RTPStreamParameters
        var localSSRC: UInt32
        var buffer: Buffer?
        var decoders = Decoders()
        var videoSinks: [@Sendable (VideoFrame) -> Void] = []
        var encodedVideoSinks: [@Sendable (EncodedVideoFrame) -> Void] = []
        var encodedAudioSinks: [@Sendable (EncodedAudioFrame) -> Void] = []
        /// The RTP timestamp unwrapped from the first frame's, for media times in files.
        var lastRTPTimestamp: UInt32?
        var mediaTime: Int64 = 0
        var audioSinks: [@Sendable (AudioFrame) -> Void] = []
        var framesDecoded: Int64 = 0
        var keyFramesDecoded: Int64 = 0
        var decodeErrors: Int64 = 0
        /// Drops before the jitter buffer, and frames no decoder could take (getStats
        /// inbound-rtp, non-standard members): nothing from the peer is dropped unseen.
        var srtpUnprotectFailures: Int64 = 0
        var packetsMalformed: Int64 = 0
        var framesAwaitingKeyframe: Int64 = 0
        var framesWithoutDecoder: Int64 = 0
        /// Why the decoder could not be opened (logged once, then counted per frame).
        var decoderFailure: String?
        var frameWidth = 0
        var frameHeight = 0
        var recentFrames: [UInt64] = []
        var audioSamples: Int64 = 0
        var ended = false
        /// The sender's last SR: its wall clock (NTP, seconds) at an RTP timestamp.
        var senderReport: (ntp: Double, rtp: UInt32)?
        /// Capture-to-decode delay of recent frames, by the SR mapping (RFC 3550 §6.4.1).
        var latencies: [Double] = []
    }

    private let state: Mutex<State>

    private let clock: MediaClock

    init(parameters: RTPStreamParameters, localSSRC: UInt32, trackId: String?, clock: MediaClock) {
        kind = parameters.kind
        self.trackId = trackId
        self.clock = clock
        state = Mutex(State(parameters: parameters, localSSRC: localSSRC))
        if parameters.ssrc != 0 { state.withLock { Self.makeBuffer(&$0, ssrc: parameters.ssrc) } }
    }

    private static func makeBuffer(_ s: inout State, ssrc: UInt32) {
        let p = s.parameters
        let config = RTPReceiverConfiguration(
            ssrc: ssrc, payloadType: p.payloadType, clockRate: p.clockRate, rtxSSRC: p.rtxSSRC,
            rtxPayloadType: p.rtxPayloadType, localSSRC: s.localSSRC, cname: p.cname,
            nackEnabled: p.nack, keyframeRequestsEnabled: p.pli, reducedSizeRTCP: p.reducedSizeRTCP,
            // A call's first frame is not held back for reordering: it would only add latency
            // to what users notice most (the time to first picture).
            startupDelay: .zero)
        s.parameters.ssrc = ssrc
        s.buffer = p.kind == .video ? .video(RTPReceiver(configuration: config)) : .audio(RTPReceiver(configuration: config))
    }

    /// Decoded pictures, on the connection's event loop: keep the sink short.
    public func addVideoSink(_ sink: @escaping @Sendable (VideoFrame) -> Void) { state.withLock { $0.videoSinks.append(sink) } }
    /// The frames as received (VP8 as sent, after each decodes), to record without
    /// re-encoding; timestamps are nanoseconds of media time from the first frame.
    public func addEncodedVideoSink(_ sink: @escaping @Sendable (EncodedVideoFrame) -> Void) { state.withLock { $0.encodedVideoSinks.append(sink) } }
    /// The Opus packets as received, with their media time.
    public func addEncodedAudioSink(_ sink: @escaping @Sendable (EncodedAudioFrame) -> Void) { state.withLock { $0.encodedAudioSinks.append(sink) } }

    /// Media time of an RTP timestamp, in ns since the first frame (RFC 3550 §5.1: the
    /// timestamp wraps; consecutive frames are never half the range apart).
    private static func mediaNanoseconds(_ s: inout State, _ rtp: UInt32) -> UInt64 {
        if let last = s.lastRTPTimestamp { s.mediaTime += Int64(Int32(bitPattern: rtp &- last)) }
        s.lastRTPTimestamp = rtp
        return MediaTimestamp.nanoseconds(fromUnits: UInt64(max(0, s.mediaTime)), clockRate: Int(max(1, s.parameters.clockRate)))
    }

    /// Decoded 48 kHz audio, 20 ms at a time.
    public func addAudioSink(_ sink: @escaping @Sendable (AudioFrame) -> Void) { state.withLock { $0.audioSinks.append(sink) } }

    var ssrc: UInt32 { state.withLock { $0.parameters.ssrc } }

    /// True if a packet with this SSRC and payload type is ours (learning the SSRC, or the
    /// RTX SSRC, from the first packet when the SDP did not say).
    func accepts(ssrc: UInt32, payloadType: UInt8) -> Bool {
        state.withLock { s in
            let p = s.parameters
            if ssrc == p.ssrc && p.ssrc != 0 { return true }
            if let rtx = p.rtxSSRC, rtx == ssrc { return true }
            if p.ssrc == 0, payloadType == p.payloadType {
                Self.makeBuffer(&s, ssrc: ssrc)
                return true
            }
            if p.rtxSSRC == nil, let rtxPT = p.rtxPayloadType, payloadType == rtxPT, p.ssrc != 0 {
                s.parameters.rtxSSRC = ssrc
                Self.makeBuffer(&s, ssrc: p.ssrc)  // a fresh buffer that knows the RTX stream
                return true
            }
            return false
        }
    }

    /// Mutates the jitter buffer taken out of the state, so that it is the only reference and
    /// its ring is not copied on write (per packet, that copy would be most of the work).
    private static func withBuffer(_ s: inout State, video: (inout RTPReceiver<VP8Depacketizer>) -> Void,
                                   audio: (inout RTPReceiver<OpusDepacketizer>) -> Void) {
        guard let taken = s.buffer.take() else { return }
        switch consume taken {
        case .video(var r): video(&r); s.buffer = .video(r)
        case .audio(var r): audio(&r); s.buffer = .audio(r)
        }
    }

    /// One clear RTP packet of this stream.
    func receive(_ packet: [UInt8]) {
        let trouble = state.withLock { s -> DecodeTrouble? in
            guard !s.ended else { return nil }
            let now = clock.now()
            var decoded: [(RTPAssembledFrame, [UInt8])] = []
            var malformed: RTPError?
            packet.withUnsafeBytes { raw in
                Self.withBuffer(&s,
                    video: { r in
                        do throws(RTPError) { try r.receive(raw, at: now) { frame, bytes in decoded.append((frame, Array(bytes))) } }
                        catch { malformed = error }
                    },
                    audio: { r in
                        do throws(RTPError) { try r.receive(raw, at: now) { frame, bytes in decoded.append((frame, Array(bytes))) } }
                        catch { malformed = error }
                    })
            }
            if let malformed {
                s.packetsMalformed += 1
                return .malformedPacket("\(malformed)")
            }
            var trouble: DecodeTrouble?
            for (frame, bytes) in decoded { trouble = Self.decode(&s, frame, bytes, clock: clock) ?? trouble }
            return trouble
        }
        if let trouble { log(trouble) }
    }

    /// A packet of this stream that failed SRTP authentication (a replay, a forgery).
    func unprotectFailed() { state.withLock { $0.srtpUnprotectFailures += 1 } }

    /// What went wrong on the receive path, logged after the lock is released.
    private enum DecodeTrouble {
        case malformedPacket(String)
        case decoderUnavailable(String)
        case decodeFailed(String)
    }

    private func log(_ trouble: DecodeTrouble) {
        let ssrc = self.ssrc
        switch trouble {
        case .malformedPacket(let why): Log.rtp.debug("dropped a malformed RTP packet of SSRC \(ssrc): \(why)")
        case .decoderUnavailable(let why): Log.codecs.warning("no \(kind == .video ? "VP8" : "Opus") decoder for SSRC \(ssrc), its frames are dropped: \(why)")
        case .decodeFailed(let why): Log.codecs.debug("a \(kind == .video ? "VP8" : "Opus") frame of SSRC \(ssrc) did not decode: \(why)")
        }
    }

    /// Decodes one frame and hands it to the sinks; says what went wrong, if anything (the
    /// first failure to open a decoder only: after it, the count says it).
    private static func decode(_ s: inout State, _ frame: RTPAssembledFrame, _ bytes: [UInt8], clock: MediaClock) -> DecodeTrouble? {
        let arrival = clock.captureNanoseconds()
        if let sr = s.senderReport {
            // The SR maps the sender's RTP clock to its wall clock; both hosts' wall clocks
            // agree on one machine (and roughly, with NTP, across two).
            let elapsed = Double(Int32(bitPattern: frame.timestamp &- sr.rtp)) / Double(s.parameters.clockRate)
            let latency = Self.ntpSeconds(clock.ntpNow()) - (sr.ntp + elapsed)
            s.latencies.append(latency)
            if s.latencies.count > 100 { s.latencies.removeFirst() }
        }
        switch s.parameters.kind {
        case .video:
            guard frame.isDecodable else {
                // After a loss, until the keyframe asked for (PLI) arrives: counted, not logged.
                s.framesAwaitingKeyframe += 1
                return nil
            }
            if s.decoders.vp8 == nil, s.decoderFailure == nil {
                do { s.decoders.vp8 = try VP8Decoder(threads: 2) } catch {
                    s.decoderFailure = "\(error)"
                    s.framesWithoutDecoder += 1
                    return .decoderUnavailable("\(error)")
                }
            }
            guard let decoder = s.decoders.vp8 else {
                s.framesWithoutDecoder += 1
                return nil
            }
            do {
                for picture in try decoder.decode(bytes, timestamp: arrival) {
                    s.framesDecoded += 1
                    if frame.isKeyframe { s.keyFramesDecoded += 1 }
                    s.frameWidth = picture.width
                    s.frameHeight = picture.height
                    s.recentFrames.append(arrival)
                    s.recentFrames.removeAll { arrival &- $0 > 1_000_000_000 }
                    for sink in s.videoSinks { sink(picture) }
                    if !s.encodedVideoSinks.isEmpty {
                        let encoded = EncodedVideoFrame(data: bytes, timestamp: mediaNanoseconds(&s, frame.timestamp),
                                                        isKeyframe: frame.isKeyframe, width: picture.width, height: picture.height)
                        for sink in s.encodedVideoSinks { sink(encoded) }
                    }
                }
            } catch {
                s.decodeErrors += 1
                return .decodeFailed("\(error)")
            }
        case .audio:
            if s.decoders.opus == nil, s.decoderFailure == nil {
                do { s.decoders.opus = try OpusDecoder(channelCount: max(1, min(2, s.parameters.channels))) } catch {
                    s.decoderFailure = "\(error)"
                    s.framesWithoutDecoder += 1
                    return .decoderUnavailable("\(error)")
                }
            }
            guard let decoder = s.decoders.opus else {
                s.framesWithoutDecoder += 1
                return nil
            }
            let audio: AudioFrame
            do { audio = try decoder.decode(bytes, timestamp: arrival) } catch {
                s.decodeErrors += 1
                return .decodeFailed("\(error)")
            }
            s.framesDecoded += 1
            s.audioSamples += Int64(audio.frameCount)
            for sink in s.audioSinks { sink(audio) }
            if !s.encodedAudioSinks.isEmpty {
                let encoded = EncodedAudioFrame(data: bytes, timestamp: mediaNanoseconds(&s, frame.timestamp),
                                                sampleCount: audio.frameCount, channelCount: audio.channelCount)
                for sink in s.encodedAudioSinks { sink(encoded) }
            }
        }
        return nil
    }

    /// RTCP from the peer's sender (SR for LSR/DLSR, XR DLRR for the RTT).
    static func ntpSeconds(_ ntp: UInt64) -> Double { Double(ntp >> 32) + Double(ntp & 0xFFFF_FFFF) / 4_294_967_296 }

    func handleRTCP(_ packets: [RTCPPacket]) {
        state.withLock { s in
            let now = clock.now()
            for case .senderReport(let sr) in packets where sr.ssrc == s.parameters.ssrc {
                s.senderReport = (Self.ntpSeconds(sr.ntpTimestamp), sr.rtpTimestamp)
            }
            Self.withBuffer(&s, video: { $0.handleRTCP(packets, at: now) }, audio: { $0.handleRTCP(packets, at: now) })
        }
    }

    /// Gives up late frames and returns the RTCP due now (NACK, PLI, RR), clear.
    func poll() -> [[UInt8]] {
        let (rtcp, trouble) = state.withLock { s -> ([[UInt8]], DecodeTrouble?) in
            let now = clock.now()
            var rtcp: [[UInt8]] = []
            var decoded: [(RTPAssembledFrame, [UInt8])] = []
            Self.withBuffer(&s,
                video: { $0.poll(at: now, onFrame: { f, b in decoded.append((f, Array(b))) }, sendRTCP: { rtcp.append(Array($0)) }) },
                audio: { $0.poll(at: now, onFrame: { f, b in decoded.append((f, Array(b))) }, sendRTCP: { rtcp.append(Array($0)) }) })
            var trouble: DecodeTrouble?
            for (frame, bytes) in decoded { trouble = Self.decode(&s, frame, bytes, clock: clock) ?? trouble }
            return (rtcp, trouble)
        }
        if let trouble { log(trouble) }
        return rtcp
    }

    func stop() { state.withLock { $0.ended = true } }

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
    }

    var statistics: Statistics {
        state.withLock { s in
            var rtp = RTCInboundRtpStreamStats()
            switch s.buffer {
            case .video(let r): rtp = r.statistics
            case .audio(let r): rtp = r.statistics
            case nil: break
            }
            let now = clock.captureNanoseconds()
            return Statistics(rtp: rtp, framesDecoded: s.framesDecoded, keyFramesDecoded: s.keyFramesDecoded,
                              decodeErrors: s.decodeErrors, srtpUnprotectFailures: s.srtpUnprotectFailures,
                              packetsMalformed: s.packetsMalformed, framesAwaitingKeyframe: s.framesAwaitingKeyframe,
                              framesWithoutDecoder: s.framesWithoutDecoder, frameWidth: s.frameWidth, frameHeight: s.frameHeight,
                              framesPerSecond: s.recentFrames.filter { now &- $0 <= 1_000_000_000 }.count,
                              audioSamples: s.audioSamples,
                              latency: s.latencies.isEmpty ? nil : s.latencies.reduce(0, +) / Double(s.latencies.count))
        }
    }
}
