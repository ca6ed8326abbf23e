import MediaCapture
import MediaCodecs
import RTP
import Synchronization

/// Sends one track (WebRTC 1.0 §5.2): capture frames go to an encoder worker (VP8 or Opus,
/// drop-oldest when it falls behind), encoded frames are packetized (RFC 7741 / RFC 7587),
/// numbered by an `RTPSender` that keeps the history for NACK/RTX, and leave through the
/// DTLS-SRTP transport. RTCP from the peer raises keyframes (PLI/FIR), answers NACKs and
/// follows REMB within the user's cap.
public final class RTCRtpSender: Sendable {
    public let track: MediaStreamTrack
    public var kind: String { track.kind }

    private struct Running: Sendable {
        var parameters: RTPStreamParameters
        var transport: RTCDtlsTransport
        var sinkToken: FrameSinkToken
        var pump: Task<Void, Never>
        var videoWorker: VP8EncoderWorker?
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
    func start(parameters: RTPStreamParameters, transport: RTCDtlsTransport) throws {
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
            let worker = VP8EncoderWorker(encoder: try VP8Encoder(configuration: vc), capacity: 2, label: "tincan.vp8")
            if let first = endWarmup(), MonotonicClock.now() &- first.timestamp < 500_000_000 { worker.submit(first) }
            let token = track.addVideoSink { worker.submit($0) }
            let pump = Task { [self] in
                for await frame in worker.frames { await send(video: frame) }
            }
            let base = min(VP8Encoder.defaultBitrate(width: vc.width, height: vc.height, frameRate: vc.frameRate), vc.maxBitrate)
            state.withLock {
                $0.rtp = rtp
                $0.running = Running(parameters: parameters, transport: transport, sinkToken: token, pump: pump, videoWorker: worker,
                                     baseBitrate: base, currentTarget: base)
            }
        } else {
            guard settings.sampleRate == nil || settings.sampleRate == OpusEncoder.sampleRate else {
                throw CodecError(codec: "Opus", "the audio track runs at \(settings.sampleRate ?? 0) Hz; Opus over RTP needs 48000 Hz (ask for {\"sampleRate\": 48000})")
            }
            let channels = settings.channelCount ?? 1
            let worker = OpusEncoderWorker(
                encoder: try OpusEncoder(configuration: OpusEncoderConfiguration(channelCount: channels)),
                capacity: 25, label: "tincan.opus")
            let token = track.addAudioSink { worker.submit($0) }
            let pump = Task { [self] in
                for await packet in worker.frames { await send(audio: packet) }
            }
            state.withLock {
                $0.rtp = rtp
                $0.running = Running(parameters: parameters, transport: transport, sinkToken: token, pump: pump, audioWorker: worker)
            }
        }
    }

    private func send(video frame: EncodedVideoFrame) async {
        var packets: [[UInt8]] = []
        let transport: RTCDtlsTransport? = state.withLock { s in
            guard let running = s.running, var rtp = s.rtp else { return nil }
            s.rtp = nil  // the only reference while it mutates: its history is not copied
            defer { s.rtp = rtp }
            let now = MediaClock.now()
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
        for packet in packets { await transport.send(packet, isRTCP: false) }
    }

    private func send(audio packet: EncodedAudioFrame) async {
        var packets: [[UInt8]] = []
        let transport: RTCDtlsTransport? = state.withLock { s in
            guard let running = s.running, var rtp = s.rtp else { return nil }
            s.rtp = nil  // the only reference while it mutates: its history is not copied
            defer { s.rtp = rtp }
            let timestamp = packet.rtpTimestamp(offset: s.timestampOffset)
            do {
                try packet.data.withUnsafeBytes { payload in
                    try rtp.send(payload: payload, timestamp: timestamp, marker: false, at: MediaClock.now()) { packets.append(Array($0)) }
                }
            } catch {
                return nil
            }
            s.framesSent += 1
            return running.transport
        }
        guard let transport else { return }
        for p in packets { await transport.send(p, isRTCP: false) }
    }

    /// RTCP from the peer (already parsed): NACK -> RTX, PLI/FIR -> keyframe, REMB -> bitrate.
    func handleRTCP(_ packets: [RTCPPacket]) async {
        var retransmissions: [[UInt8]] = []
        let outcome: (RTCDtlsTransport, RTPSenderFeedback, Running, Int?)? = state.withLock { s in
            guard var running = s.running, var rtp = s.rtp else { return nil }
            s.rtp = nil
            defer { s.rtp = rtp }
            guard let feedback = try? rtp.handleRTCP(packets, at: MediaClock.now(), emit: { retransmissions.append(Array($0)) }) else { return nil }
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
        for p in retransmissions { await transport.send(p, isRTCP: false) }
        if feedback.keyframeRequest != nil { running.videoWorker?.requestKeyframe() }
        if let newTarget { running.videoWorker?.setTargetBitrate(newTarget) }
    }

    /// An SR + SDES CNAME (RFC 3550 §6.4.1), sent about once a second per stream.
    func sendReport() async {
        var reports: [[UInt8]] = []
        let transport: RTCDtlsTransport? = state.withLock { s in
            guard let running = s.running, var rtp = s.rtp, rtp.statistics.packetsSent > 0 else { return nil }
            s.rtp = nil
            defer { s.rtp = rtp }
            let now = MediaClock.now()
            let rtpTime = MediaTimestamp.rtpTimestamp(
                captureNanoseconds: MonotonicClock.now(), clockRate: Int(running.parameters.clockRate), offset: s.timestampOffset)
            try? rtp.makeSenderReport(ntpTime: MediaClock.ntpNow(), rtpTimestamp: rtpTime, at: now) { reports.append(Array($0)) }
            return running.transport
        }
        guard let transport else { return }
        for r in reports { await transport.send(r, isRTCP: true) }
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
        track.removeSink(running.sinkToken)
        await running.videoWorker?.finish()
        await running.audioWorker?.finish()
        running.pump.cancel()
    }

    /// Outbound-rtp and remote-inbound-rtp figures of this stream.
    var statistics: (outbound: RTCOutboundRtpStreamStats, remote: RTCRemoteInboundRtpStreamStats, framesSent: Int64, keyFramesSent: Int64, width: Int, height: Int, framesPerSecond: Int, encoderDrops: Int)? {
        state.withLock { s in
            guard let rtp = s.rtp else { return nil }
            let drops = s.running?.videoWorker?.statistics.dropped ?? s.running?.audioWorker?.statistics.dropped ?? 0
            return (rtp.statistics, rtp.remoteStatistics, s.framesSent, s.keyFramesSent, s.frameWidth, s.frameHeight, s.recentFrames.count, drops)
        }
    }
}
