import MediaCapture
import MediaCodecs
import NIOCore
import RTP
import Synchronization

/// Sends one track (WebRTC 1.0 §5.2): capture frames go to an encoder worker (VP8 or Opus,
/// drop-oldest when it falls behind), encoded frames are packetized (RFC 7741 / RFC 7587),
/// numbered by an `RTPSender` that keeps the history for NACK/RTX, and leave through the
/// DTLS-SRTP transport. RTCP from the peer raises keyframes (PLI/FIR), answers NACKs and
/// follows REMB within the user's cap.
///
/// Everything after the encoder runs on the connection's event loop; the encoder runs on a
/// worker thread of its own, or inline on the loop when the settings say so (simulated time).
public final class RTCRtpSender: Sendable {
    public let track: MediaStreamTrack
    public var kind: String { track.kind }

    private struct Running: Sendable {
        var parameters: RTPStreamParameters
        var transport: RTCDtlsTransport
        var clock: MediaClock
        var sinkToken: FrameSinkToken?
        var pump: Task<Void, Never>?
        var videoWorker: VP8EncoderWorker?
        /// The encoder when it runs inline on the event loop (only touched there).
        var inlineVideo: InlineEncoder<VP8Encoder>?
        var inlineAudio: InlineEncoder<OpusEncoder>?
        var audioWorker: OpusEncoderWorker?
        /// The encoder's bitrate without feedback: by size and frame rate, within the cap.
        var baseBitrate = 0
        var currentTarget = 0
    }

    private struct State: Sendable {
        var running: Running?
        var rtp: RTPSender?
        var maxBitrate: Int?
        var framesSent: Int64 = 0
        var keyFramesSent: Int64 = 0
        var frameWidth = 0
        var frameHeight = 0
        /// Capture times of recent frames, for framesPerSecond (the last second's count).
        var recentFrames: [UInt64] = []
        var timestampOffset = UInt32.random(in: .min ... .max)
        var remb: UInt64?
        /// One packetizer for the stream: its picture ID runs on and its buffer is reused.
        var packetizer: VP8Packetizer? = VP8Packetizer(maxPayloadSize: 1100, initialPictureID: .random(in: 0...0x7FFF))
    }

    private let state: Mutex<State>
    /// The track's newest picture before sending starts: encoded at once when the transport
    /// connects, so the first frame does not wait a frame interval (100 ms at 10 fps).
    private let latestPicture = Mutex<VideoFrame?>(nil)
    private let warmupToken: Mutex<FrameSinkToken?>

    init(track: MediaStreamTrack, maxBitrate: Int?) {
        self.track = track
        state = Mutex(State(maxBitrate: maxBitrate))
        warmupToken = Mutex(nil)
        if track.kind == "video" {
            let token = track.addVideoSink { [weak self] frame in self?.latestPicture.withLock { $0 = frame } }
            warmupToken.withLock { $0 = token }
        }
    }

    deinit {
        if let token = warmupToken.withLock({ $0 }) { track.removeSink(token) }
    }

    private func endWarmup() -> VideoFrame? {
        if let token = warmupToken.withLock({ t -> FrameSinkToken? in defer { t = nil }; return t }) { track.removeSink(token) }
        return latestPicture.withLock { p in defer { p = nil }; return p }
    }

    /// Opens the encoder for the track's current settings and starts sending.
    func start(parameters: RTPStreamParameters, transport: RTCDtlsTransport, clock: MediaClock, inline: Bool) throws {
        let loop = transport.eventLoop
        let settings = track.getSettings()
        let maxBitrate = state.withLock { $0.maxBitrate }
        var config = RTPSenderConfiguration(
            ssrc: parameters.ssrc, payloadType: parameters.payloadType, clockRate: parameters.clockRate,
            rtxSSRC: parameters.rtxSSRC, rtxPayloadType: parameters.rtxPayloadType,
            extensions: parameters.extensions, mid: parameters.mid, cname: parameters.cname)
        if parameters.kind == .audio { config.historyCapacity = 128 }
        let rtp = RTPSender(configuration: config, initialSequenceNumber: .random(in: 0 ... .max),
                            initialRTXSequenceNumber: .random(in: 0 ... .max))
        if parameters.kind == .video {
            var vc = VP8EncoderConfiguration(width: settings.width ?? 640, height: settings.height ?? 480,
                                             frameRate: settings.frameRate ?? 30)
            if let maxBitrate { vc.maxBitrate = maxBitrate }
            let encoder = try VP8Encoder(configuration: vc)
            let base = min(VP8Encoder.defaultBitrate(width: vc.width, height: vc.height, frameRate: vc.frameRate), vc.maxBitrate)
            var running = Running(parameters: parameters, transport: transport, clock: clock,
                                  baseBitrate: base, currentTarget: base)
            let first = endWarmup().flatMap { clock.captureNanoseconds() &- $0.timestamp < 500_000_000 ? $0 : nil }
            if inline {
                let inlineEncoder = InlineEncoder(encoder)
                running.inlineVideo = inlineEncoder
                running.sinkToken = track.addVideoSink { [weak self] frame in
                    guard let self else { return }
                    loop.execute { self.encodeInline(frame, with: inlineEncoder) }
                }
                state.withLock { $0.rtp = rtp; $0.running = running }
                if let first { loop.execute { self.encodeInline(first, with: inlineEncoder) } }
            } else {
                let worker = VP8EncoderWorker(encoder: encoder, capacity: 2, label: "tincan.vp8")
                if let first { worker.submit(first) }
                running.videoWorker = worker
                running.sinkToken = track.addVideoSink { worker.submit($0) }
                running.pump = Task { [weak self] in
                    for await frame in worker.frames {
                        guard let self else { return }
                        loop.execute { self.send(video: frame) }
                    }
                }
                state.withLock { $0.rtp = rtp; $0.running = running }
            }
        } else {
            guard settings.sampleRate == nil || settings.sampleRate == OpusEncoder.sampleRate else {
                throw CodecError(codec: "Opus", "the audio track runs at \(settings.sampleRate ?? 0) Hz; Opus over RTP needs 48000 Hz (ask for {\"sampleRate\": 48000})")
            }
            let channels = settings.channelCount ?? 1
            let encoder = try OpusEncoder(configuration: OpusEncoderConfiguration(channelCount: channels))
            var running = Running(parameters: parameters, transport: transport, clock: clock)
            if inline {
                let inlineEncoder = InlineEncoder(encoder)
                running.inlineAudio = inlineEncoder
                running.sinkToken = track.addAudioSink { [weak self] frame in
                    guard let self else { return }
                    loop.execute { self.encodeInline(frame, with: inlineEncoder) }
                }
            } else {
                let worker = OpusEncoderWorker(encoder: encoder, capacity: 25, label: "tincan.opus")
                running.audioWorker = worker
                running.sinkToken = track.addAudioSink { worker.submit($0) }
                running.pump = Task { [weak self] in
                    for await packet in worker.frames {
                        guard let self else { return }
                        loop.execute { self.send(audio: packet) }
                    }
                }
            }
            state.withLock {
                $0.rtp = rtp
                $0.running = running
            }
        }
    }

    /// Encodes on the event loop (simulated runs): the pending bitrate and keyframe request
    /// apply to this frame, as the worker would apply them.
    private func encodeInline(_ frame: VideoFrame, with encoder: InlineEncoder<VP8Encoder>) {
        guard state.withLock({ $0.running != nil }) else { return }
        for output in encoder.encode(frame) { send(video: output) }
    }

    private func encodeInline(_ frame: AudioFrame, with encoder: InlineEncoder<OpusEncoder>) {
        guard state.withLock({ $0.running != nil }) else { return }
        for output in encoder.encode(frame) { send(audio: output) }
    }

    /// On the event loop: packetize, number, send.
    private func send(video frame: EncodedVideoFrame) {
        var packets: [[UInt8]] = []
        let transport: RTCDtlsTransport? = state.withLock { s in
            guard let running = s.running, var rtp = s.rtp else { return nil }
            s.rtp = nil  // the only reference while it mutates: its history is not copied
            defer { s.rtp = rtp }
            let now = running.clock.now()
            let timestamp = frame.rtpTimestamp(offset: s.timestampOffset)
            guard var packetizer = s.packetizer else { return nil }
            s.packetizer = nil
            defer { s.packetizer = packetizer }
            do {
                try packetizer.packetize(frame.data) { payload, isLast in
                    try rtp.send(payload: payload, timestamp: timestamp, marker: isLast, at: now) { packets.append(Array($0)) }
                }
            } catch {
                return nil
            }
            s.framesSent += 1
            if frame.isKeyframe { s.keyFramesSent += 1 }
            s.frameWidth = frame.width
            s.frameHeight = frame.height
            s.recentFrames.append(frame.timestamp)
            s.recentFrames.removeAll { frame.timestamp &- $0 > 1_000_000_000 }
            return running.transport
        }
        guard let transport else { return }
        for packet in packets { transport.send(packet, isRTCP: false) }
    }

    private func send(audio packet: EncodedAudioFrame) {
        var packets: [[UInt8]] = []
        let transport: RTCDtlsTransport? = state.withLock { s in
            guard let running = s.running, var rtp = s.rtp else { return nil }
            s.rtp = nil  // the only reference while it mutates: its history is not copied
            defer { s.rtp = rtp }
            let timestamp = packet.rtpTimestamp(offset: s.timestampOffset)
            do {
                try packet.data.withUnsafeBytes { payload in
                    try rtp.send(payload: payload, timestamp: timestamp, marker: false, at: running.clock.now()) { packets.append(Array($0)) }
                }
            } catch {
                return nil
            }
            s.framesSent += 1
            return running.transport
        }
        guard let transport else { return }
        for p in packets { transport.send(p, isRTCP: false) }
    }

    /// RTCP from the peer (already parsed): NACK -> RTX, PLI/FIR -> keyframe, REMB -> bitrate.
    func handleRTCP(_ packets: [RTCPPacket]) {
        var retransmissions: [[UInt8]] = []
        let outcome: (RTCDtlsTransport, RTPSenderFeedback, Running, Int?)? = state.withLock { s in
            guard var running = s.running, var rtp = s.rtp else { return nil }
            s.rtp = nil
            defer { s.rtp = rtp }
            guard let feedback = try? rtp.handleRTCP(packets, at: running.clock.now(), emit: { retransmissions.append(Array($0)) }) else { return nil }
            var newTarget: Int?
            if let remb = feedback.estimatedMaximumBitrate {
                s.remb = remb
                // REMB is the receiver's ceiling: it lowers the bitrate, never raises it above
                // what the picture needs (or the user's --max-bitrate).
                let target = max(50_000, min(running.baseBitrate, Int(clamping: remb)))
                if target != running.currentTarget {
                    running.currentTarget = target
                    newTarget = target
                    s.running = running
                }
            }
            return (running.transport, feedback, running, newTarget)
        }
        guard let (transport, feedback, running, newTarget) = outcome else { return }
        for p in retransmissions { transport.send(p, isRTCP: false) }
        if feedback.keyframeRequest != nil {
            running.videoWorker?.requestKeyframe()
            running.inlineVideo?.requestKeyframe()
        }
        if let newTarget {
            running.videoWorker?.setTargetBitrate(newTarget)
            running.inlineVideo?.setTargetBitrate(newTarget)
        }
    }

    /// An SR + SDES CNAME (RFC 3550 §6.4.1), sent about once a second per stream.
    func sendReport() {
        var reports: [[UInt8]] = []
        let transport: RTCDtlsTransport? = state.withLock { s in
            guard let running = s.running, var rtp = s.rtp, rtp.statistics.packetsSent > 0 else { return nil }
            s.rtp = nil
            defer { s.rtp = rtp }
            let now = running.clock.now()
            let rtpTime = MediaTimestamp.rtpTimestamp(
                captureNanoseconds: running.clock.captureNanoseconds(), clockRate: Int(running.parameters.clockRate), offset: s.timestampOffset)
            try? rtp.makeSenderReport(ntpTime: running.clock.ntpNow(), rtpTimestamp: rtpTime, at: now) { reports.append(Array($0)) }
            return running.transport
        }
        guard let transport else { return }
        for r in reports { transport.send(r, isRTCP: true) }
    }

    /// RTCP BYE for this stream (RFC 3550 §6.6), sent when the call ends.
    func goodbye() -> [UInt8]? {
        guard let ssrc = state.withLock({ $0.running?.parameters.ssrc }) else { return nil }
        var bytes: [UInt8] = []
        try? RTCPGoodbye(ssrcs: [ssrc], reason: "call ended").write(into: &bytes)
        return bytes
    }

    /// Detaches from the track and stops the encoder.
    func stop() async {
        _ = endWarmup()
        guard let running = state.withLock({ s -> Running? in defer { s.running = nil }; return s.running }) else { return }
        if let token = running.sinkToken { track.removeSink(token) }
        await running.videoWorker?.finish()
        await running.audioWorker?.finish()
        running.pump?.cancel()
    }

    /// Outbound-rtp and remote-inbound-rtp figures of this stream.
    var statistics: (outbound: RTCOutboundRtpStreamStats, remote: RTCRemoteInboundRtpStreamStats, framesSent: Int64, keyFramesSent: Int64, width: Int, height: Int, framesPerSecond: Int, encoderDrops: Int)? {
        state.withLock { s in
            guard let rtp = s.rtp else { return nil }
            let drops = s.running?.videoWorker?.statistics.dropped ?? s.running?.audioWorker?.statistics.dropped
                ?? s.running?.inlineVideo?.statistics.dropped ?? 0
            return (rtp.statistics, rtp.remoteStatistics, s.framesSent, s.keyFramesSent, s.frameWidth, s.frameHeight, s.recentFrames.count, drops)
        }
    }
}
