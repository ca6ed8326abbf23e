import Dispatch
import MediaCapture
import MediaCodecs
import MediaPrimitives
import NIOCore
import RTP
import Synchronization

/// Sends one track (WebRTC 1.0 §5.2): capture frames are adapted to what the network
/// carries (video: `VideoAdaptation`, size and frame rate within the track's constraints), go
/// to the negotiated codec's encoder (its `RTCRtpCodecRegistration`; on a worker, drop-oldest
/// when it falls behind), are packetized by the codec's packetizer and handed to the
/// transport's pipeline (`MediaTransport`): its `RTPSendStream` numbers them and keeps the
/// history for NACK/RTX, the pacer sends them. The pipeline answers NACK and PLI/FIR and sets
/// the target; this sender follows it (`setTargetBitrate`) within the user's cap. One path
/// for every codec: what differs between them is in the registration.
///
/// The encoder runs on a worker of its own, on the capture thread that submits a frame while
/// the worker is idle (`EncoderWorker.runsOnCaller`), or inline on the loop when the
/// settings say so (simulated time); its frames are packetized, protected and sent on that
/// same thread. The pipeline's feedback (NACK, PLI/FIR, targets) arrives on the
/// connection's event loop.
public final class RTCRtpSender: Sendable {
    /// The track being sent; `replaceTrack` changes it.
    public var track: MediaStreamTrack { currentTrack.withLock { $0 } }
    public let kind: String
    private let currentTrack: Mutex<MediaStreamTrack>

    /// The started stream: what `start` set up and nothing changes until `stop`. A class,
    /// so that each frame takes it with one retain, not a copy of its dozen closures (the
    /// struct it was cost 0.5% of a 480p sender's samples in copies, docs/performance.md).
    private final class Running: Sendable {
        let parameters: RTPStreamParameters
        let media: MediaTransport
        let stream: RTPTransportStreamID
        let clock: MediaClock
        /// Hangs this stream's sink on a track (the one sent now, or its replacement).
        let attach: @Sendable (MediaStreamTrack) -> FrameSinkToken
        let encoder: MediaStreamEncoder
        /// The most this stream sends on the wire: the user's cap, or what the picture needs.
        let wireMaximum: Int
        /// Inline encoding in simulated time: the modelled cost of a frame (RTCSettingEngine).
        let encodeTimeModel: (@Sendable (_ width: Int, _ height: Int) -> Duration)?
        /// The most the encoder may be given: the user's cap and the peer's `b=TIAS`/`b=AS`.
        let encoderMaximum: Int
        /// The codec's packetizer (VP8: its picture ID runs on and its buffer is reused),
        /// used in place under its own lock: one frame at a time, in the encoder's order.
        let packetizer: Mutex<any RTPPacketizer>

        init(parameters: RTPStreamParameters, media: MediaTransport, stream: RTPTransportStreamID, clock: MediaClock,
             attach: @escaping @Sendable (MediaStreamTrack) -> FrameSinkToken, encoder: MediaStreamEncoder,
             wireMaximum: Int, encodeTimeModel: (@Sendable (_ width: Int, _ height: Int) -> Duration)?, encoderMaximum: Int,
             packetizer: any RTPPacketizer) {
            self.parameters = parameters
            self.media = media
            self.stream = stream
            self.clock = clock
            self.attach = attach
            self.encoder = encoder
            self.wireMaximum = wireMaximum
            self.encodeTimeModel = encodeTimeModel
            self.encoderMaximum = encoderMaximum
            self.packetizer = Mutex(packetizer)
        }
    }

    private struct State: Sendable {
        var running: Running?
        /// The running stream's sink on the track sent now.
        var sinkToken: FrameSinkToken?
        /// The running encoder's bitrate now.
        var currentTarget = 0
        /// The worker's encode time and frame count at the last frame sent: each frame's
        /// share of the difference is its encode time.
        var encodeTimeSeen: (total: UInt64, frames: Int) = (0, 0)
        var maxBitrate: Int?
        var framesSent: Int64 = 0
        var keyFramesSent: Int64 = 0
        /// webrtc-stats qpSum: the sum of the sent frames' quantizers.
        var qpSum: Int64 = 0
        var frameWidth = 0
        var frameHeight = 0
        /// Capture times of recent frames, for framesPerSecond (the last second's count).
        var recentFrames: [UInt64] = []
        var timestampOffset = UInt32.random(in: .min ... .max)
        /// A codec that plans for loss (Opus): the loss it plans for, from the peer's receiver
        /// reports, and the last report seen.
        var opusLoss = OpusPacketLoss()
        /// Whether `start` took the encoder opened ahead (tests).
        var startedWithEncoderOpenedAhead = false
        var lossReportsSeen: Int64 = 0
    }

    /// The size and rate to send, and the frames shaped to it (touched per captured frame on
    /// the capture thread, and by a new target on the loop).
    private struct Adaptation: Sendable {
        var adaptation: VideoAdaptation
        var adapter: VideoFrameAdapter
        /// The first frames are held back until this capture time (or a target that carries
        /// the full size), and lower targets that come meanwhile only remembered: the start rate is a guess the first probes replace
        /// within a few round trips, their first answers undershoot, and a first keyframe at
        /// the wrong size (720p into 300 kbit/s) is a second-long freeze, while a size chosen
        /// too small takes seconds of hysteresis to come back (libwebrtc's initial frame
        /// dropper waits for the probes the same way).
        var holdUntil: UInt64
        var framesHeld = 0
        /// A start-rate target that came during the hold: applied when the hold ends.
        var pendingTarget: Int?
        /// Whether the encoder may drop frames (the last rung only), and how to tell it.
        var encoderDropsFrames = false
        var setFrameDropping: (@Sendable (Bool) -> Void)?

        /// Rungs taken since the last `drainAnnounced()`, for the log (written outside the lock).
        var announced: [(VideoAdaptation.Decision, target: Int?, cpu: Double?)] = []

        /// A new rung: the frames are shaped to it and the encoder's frame dropping follows.
        mutating func apply(_ decision: VideoAdaptation.Decision) {
            if announced.count < 16 { announced.append((decision, adaptation.targetBitrate, adaptation.cpuUsage)) }
            adapter.apply(decision)
            guard decision.encoderMayDropFrames != encoderDropsFrames else { return }
            encoderDropsFrames = decision.encoderMayDropFrames
            setFrameDropping?(encoderDropsFrames)
        }

        /// While the first frames are held: a target that carries the top rung ends the hold
        /// (nothing to wait for: 640x480 at 10 fps at the 300 kbit/s start rate), a lower one
        /// is kept for the hold's end. Returns whether the hold took the target.
        mutating func hold(target: Int, now: UInt64) -> Bool {
            guard now < holdUntil else { return false }
            var trial = adaptation
            if trial.setTargetBitrate(target, now: now) == nil {
                adaptation = trial
                holdUntil = 0  // every frame from here on, the held warm-up picture first
                pendingTarget = nil
            } else {
                pendingTarget = target
            }
            return true
        }

        mutating func connectFrameDropping(_ set: @escaping @Sendable (Bool) -> Void) {
            setFrameDropping = set
            encoderDropsFrames = adaptation.decision.encoderMayDropFrames
            if encoderDropsFrames { set(true) }
        }
    }

    /// How long the first frames wait for the probes' answer.
    static let initialHold: UInt64 = 300_000_000

    private let state: Mutex<State>
    /// The encoder opened ahead of `start` (`openEncoderAhead`), and its opening, which
    /// `start` waits for rather than open a second one.
    private let ahead = Mutex<AheadEncoder>(.none)
    private let aheadOpening = DispatchGroup()

    private enum AheadEncoder: Sendable {
        case none
        case opening
        case ready(MediaEncoderRequest, OpenedMediaEncoder)
        /// Started or stopped: an encoder that finishes opening now is closed at once.
        case closed
    }
    private let adaptation = Mutex<Adaptation?>(nil)
    /// The track's newest picture before sending starts: encoded at once when the transport
    /// connects, so the first frame does not wait a frame interval (100 ms at 10 fps).
    private let latestPicture = Mutex<VideoFrame?>(nil)
    private let warmupToken: Mutex<FrameSinkToken?>

    init(track: MediaStreamTrack, maxBitrate: Int?) {
        currentTrack = Mutex(track)
        kind = track.kind
        state = Mutex(State(maxBitrate: maxBitrate))
        warmupToken = Mutex(nil)
        if track.mediaKind == .video { warmupToken.withLock { $0 = addWarmupSink(to: track) } }
    }

    private func addWarmupSink(to track: MediaStreamTrack) -> FrameSinkToken {
        track.addVideoSink { [weak self] frame in self?.latestPicture.withLock { $0 = frame } }
    }

    deinit {
        if let token = warmupToken.withLock({ $0 }) { track.removeSink(token) }
    }

    /// WebRTC 1.0 §5.2 `replaceTrack`: another track of the same kind takes over the stream
    /// without renegotiation (same SSRC, sequence numbers and encoder). A picture of another
    /// size is scaled to the size the encoder sends (the adaptation may then change it);
    /// audio must come at the same rate and channel count, which the open encoder takes.
    public func replaceTrack(_ replacement: MediaStreamTrack) throws {
        let old = track
        guard replacement !== old else { return }
        guard replacement.mediaKind == old.mediaKind else {
            throw RTCError(.typeError, "a \(replacement.kind) track cannot replace a \(old.kind) one")
        }
        let running = state.withLock { $0.running }
        if let running, running.parameters.kind == .audio {
            let now = old.getSettings(), next = replacement.getSettings()
            guard now.sampleRate == next.sampleRate, now.channelCount == next.channelCount else {
                throw RTCError(.invalidModificationError, "the replacement audio track has \(next.sampleRate ?? 0) Hz, \(next.channelCount ?? 0) channels; the encoder takes \(now.sampleRate ?? 0) Hz, \(now.channelCount ?? 0)")
            }
        }
        // Video encodes on the camera's thread only for a camera that leaves frames out meanwhile.
        if let running, running.parameters.kind == .video { running.encoder.setRunsOnCaller?(replacement.toleratesSlowSinks) }
        // The new sink first, then the old one goes: no frame interval is lost.
        let newToken = running.map { $0.attach(replacement) }
        let newWarmup = warmupToken.withLock({ $0 }) == nil ? nil : addWarmupSink(to: replacement)
        let (oldToken, oldWarmup) = state.withLock { s -> (FrameSinkToken?, FrameSinkToken?) in
            let token = s.sinkToken
            if s.running != nil, let newToken { s.sinkToken = newToken }
            currentTrack.withLock { $0 = replacement }
            return (token, warmupToken.withLock { w in defer { w = newWarmup }; return w })
        }
        if let oldToken { old.removeSink(oldToken) }
        if let oldWarmup { old.removeSink(oldWarmup) }
    }

    private func endWarmup() -> VideoFrame? {
        if let token = warmupToken.withLock({ t -> FrameSinkToken? in defer { t = nil }; return t }) { track.removeSink(token) }
        return latestPicture.withLock { p in defer { p = nil }; return p }
    }

    /// Opens the codec's encoder for the track's current settings, registers the stream with
    /// the transport's pipeline and starts sending.
    func start(parameters: RTPStreamParameters, codec: RTCRtpCodecRegistration, media: MediaTransport, clock: MediaClock,
               inline: Bool, encodeTimeModel: (@Sendable (_ width: Int, _ height: Int) -> Duration)? = nil) throws {
        let loop = clock.eventLoop
        let settings = track.getSettings()
        let maxBitrate = state.withLock { $0.maxBitrate }
        var config = RTPSendStreamConfiguration(
            ssrc: parameters.ssrc, payloadType: parameters.payloadType, clockRate: parameters.clockRate,
            rtxSSRC: parameters.rtxSSRC, rtxPayloadType: parameters.rtxPayloadType,
            extensions: parameters.extensions, mid: parameters.mid, cname: parameters.cname)
        if parameters.kind == .audio { config.historyCapacity = 128 }
        let rtp = RTPSendStream(configuration: config, initialSequenceNumber: .random(in: 0 ... .max),
                                initialRTXSequenceNumber: .random(in: 0 ... .max))
        let request = MediaEncoderRequest(settings: settings, parameters: parameters, maxBitrate: maxBitrate, inline: inline,
                                          onCaptureThread: track.toleratesSlowSinks)
        // Still opening (a loaded machine): what is left of it is less than a new open.
        if ahead.withLock({ if case .opening = $0 { true } else { false } }) { aheadOpening.wait() }
        let prepared = ahead.withLock { a -> (match: OpenedMediaEncoder?, other: OpenedMediaEncoder?) in
            defer { a = .closed }
            guard case .ready(let made, let opened) = a else { return (nil, nil) }
            return made == request ? (opened, nil) : (nil, opened)
        }
        if let other = prepared.other { Task { await other.encoder.finish() } }
        let opened = try prepared.match ?? codec.makeEncoder(request)
        state.withLock { $0.startedWithEncoderOpenedAhead = prepared.match != nil }
        let encoder = opened.encoder
        let stream = media.addStream(rtp, kind: parameters.kind)
        // Frames to the encoder: queued for its worker, or encoded on the loop (simulated time).
        let submit: @Sendable (MediaFrame) -> Void
        if let encodeNow = encoder.encodeNow {
            submit = { [weak self] frame in
                guard let self else { return }
                loop.execute { self.encodeInline(frame, with: encodeNow) }
            }
        } else {
            submit = encoder.submit
        }
        // Encoded frames are packetized, protected and sent on the worker's thread, as they
        // come out of the encoder (no hop to the loop); set before the first frame is
        // submitted, and `running` is set before that too.
        encoder.startPump? { [weak self] frame in self?.send(frame) }
        let attach: @Sendable (MediaStreamTrack) -> FrameSinkToken
        var first: VideoFrame?
        if let picture = opened.picture {
            let now = clock.captureNanoseconds()
            let bounds = VideoAdaptationBounds(settings: settings, constraints: track.getConstraints())
            var held = Adaptation(adaptation: VideoAdaptation(bounds: bounds, now: now),
                                  adapter: VideoFrameAdapter(width: picture.width, height: picture.height, sourceFrameRate: picture.frameRate),
                                  holdUntil: now + Self.initialHold)
            // The start rate may carry the full size already: then the first picture goes now.
            _ = held.hold(target: opened.startBitrate, now: now)
            adaptation.withLock { $0 = held }
            first = endWarmup().flatMap { now &- $0.timestamp < 500_000_000 ? $0 : nil }
            if let set = encoder.setFrameDropping { adaptation.withLock { $0?.connectFrameDropping(set) } }
            attach = { [weak self] track in
                track.addVideoSink { [weak self] frame in
                    guard let frame = self?.adapt(frame) else { return }
                    submit(.video(frame))
                }
            }
        } else {
            attach = { track in track.addAudioSink { submit(.audio($0)) } }
        }
        let running = Running(parameters: parameters, media: media, stream: stream, clock: clock, attach: attach,
                              encoder: encoder, wireMaximum: opened.wireMaximum,
                              encodeTimeModel: opened.picture == nil ? nil : encodeTimeModel,
                              encoderMaximum: opened.encoderMaximum, packetizer: codec.makePacketizer())
        state.withLock { s in
            s.running = running
            s.sinkToken = nil
            s.currentTarget = opened.startBitrate
            s.encodeTimeSeen = (0, 0)
        }
        // The held picture goes ahead of the live ones.
        if let first = first.flatMap(adapt) { submit(.video(first)) }
        // Running before the sink is attached: the worker sends the first frame on its own
        // thread, which must find the stream. A stop() in between finds no token: removed here.
        let token = attach(track)
        let attached = state.withLock { s -> Bool in
            guard s.running != nil else { return false }
            s.sinkToken = token
            return true
        }
        if !attached { track.removeSink(token) }
    }

    /// On the capture thread: the frame at the size and rate the adaptation chose, or nil
    /// when the frame-rate decimation leaves it out.
    private func adapt(_ frame: VideoFrame) -> VideoFrame? {
        let (adapted, taken) = adaptation.withLock { a -> (VideoFrame?, [(VideoAdaptation.Decision, target: Int?, cpu: Double?)]) in
            guard var current = a else { return (frame, []) }
            a = nil  // the only reference while it mutates: its pool is not copied
            defer { a = current }
            guard frame.timestamp >= current.holdUntil else {
                current.framesHeld += 1
                return (nil, [])
            }
            if let target = current.pendingTarget {
                current.pendingTarget = nil
                if let decision = current.adaptation.setTargetBitrate(target, now: frame.timestamp) { current.apply(decision) }
            }
            if let decision = current.adaptation.update(now: frame.timestamp) { current.apply(decision) }
            let out = current.adapter.adapt(frame)
            // The rungs taken (by this frame, a new target or an encode time) go to the log
            // outside the lock; no second lock per frame.
            guard !current.announced.isEmpty else { return (out, []) }
            defer { current.announced.removeAll(keepingCapacity: true) }
            return (out, current.announced)
        }
        log(taken)
        return adapted
    }

    /// The rungs taken, at debug (`--log-level debug`): what the ladder chose and why.
    private func log(_ taken: [(VideoAdaptation.Decision, target: Int?, cpu: Double?)]) {
        for (decision, target, cpu) in taken {
            Log.codecs.debug("video adapts to \(decision.rung) (\(decision.reason.rawValue); target \(target.map { "\($0 / 1000) kbit/s" } ?? "none"), encode load \(cpu.map { "\(Int($0 * 100)) %" } ?? "unknown"))")
        }
    }

    /// Encodes on the event loop (simulated runs): the pending bitrate and keyframe request
    /// apply to this frame, as the worker would apply them.
    private func encodeInline(_ frame: MediaFrame, with encodeNow: @Sendable (MediaFrame) -> [EncodedMedia]) {
        guard state.withLock({ $0.running != nil }) else { return }
        for output in encodeNow(frame) { send(output) }
    }

    /// On the encoder's thread (the loop when encoding inline): packetize into the pipeline,
    /// which numbers, paces, protects and sends the packets.
    private func send(_ frame: EncodedMedia) {
        let taken = state.withLock { s -> (Running, UInt32)? in
            guard let running = s.running else { return nil }
            s.framesSent += 1
            if case .video(let picture) = frame {
                if picture.isKeyframe { s.keyFramesSent += 1 }
                s.qpSum += Int64(picture.qp ?? 0)
                s.frameWidth = picture.width
                s.frameHeight = picture.height
                s.recentFrames.append(picture.timestamp)
                s.recentFrames.removeAll { picture.timestamp &- $0 > 1_000_000_000 }
            }
            return (running, frame.rtpTimestamp(offset: s.timestampOffset))
        }
        guard let (running, timestamp) = taken else { return }
        // In place under the packetizer's lock (no copy of it or its buffer); the transport's
        // lock nests inside it, never the other way round.
        running.packetizer.withLock { packetizer in
            frame.data.withUnsafeBytes { bytes in
                packetizer.packetize(bytes) { payload, marker in
                    running.media.send(running.stream, payload: payload, timestamp: timestamp, marker: marker)
                }
            }
        }
        running.media.flush()
        // A picture's encode time feeds the CPU-overuse ladder; a codec that plans for loss
        // follows the peer's receiver reports.
        if case .video(let picture) = frame, let encodeTime = encodeTime(of: picture, running) {
            frameEncoded(encodeTime: encodeTime, now: running.clock.captureNanoseconds())
        }
        if running.encoder.setPacketLoss != nil { followLoss(running) }
    }

    /// What encoding `frame` cost: the worker's measured time (its `totalEncodeTime` since the
    /// last frame), or the settings' model when encoding inline in simulated time.
    private func encodeTime(of frame: EncodedVideoFrame, _ running: Running) -> UInt64? {
        if let model = running.encodeTimeModel {
            let c = model(frame.width, frame.height).components
            return UInt64(max(0, c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000))
        }
        guard let measured = running.encoder.measured?() else { return nil }
        let (total, frames) = (measured.totalEncodeTime, measured.encoded)
        return state.withLock { s -> UInt64? in
            let seen = s.encodeTimeSeen
            s.encodeTimeSeen = (total, frames)
            guard frames > seen.frames else { return nil }
            return (total &- seen.total) / UInt64(frames - seen.frames)
        }
    }

    /// CPU overuse (issue #10's ladder): an encoder over its time budget steps the same
    /// ladder as bandwidth, so a loaded machine sends smaller pictures instead of dropping
    /// frames in the worker's queue.
    private func frameEncoded(encodeTime: UInt64, now: UInt64) {
        adaptation.withLock { a in
            guard var current = a else { return }
            a = nil
            defer { a = current }
            if let decision = current.adaptation.frameEncoded(encodeTime: encodeTime, now: now) { current.apply(decision) }
        }
    }

    /// A codec that plans for loss (Opus) follows what the peer reports about this stream
    /// (`OpusPacketLoss`): a new receiver report that moves it reconfigures the encoder ahead
    /// of its next packet.
    private func followLoss(_ running: Running) {
        let report = running.media.remoteReport(running.stream)
        let percent = state.withLock { s -> Int? in
            guard report.reportsReceived != s.lossReportsSeen else { return nil }
            s.lossReportsSeen = report.reportsReceived
            return s.opusLoss.report(fractionLost: report.fractionLost)
        }
        guard let percent else { return }
        running.encoder.setPacketLoss?(percent, running.parameters.opusInbandFEC)
    }

    // MARK: Driven by the pipeline (on the event loop)

    /// The most this stream sends on the wire, for the transport's allocation.
    var wireMaximum: Int? { state.withLock { $0.running?.wireMaximum } }
    var isAudio: Bool { track.mediaKind == .audio }
    var ssrc: UInt32? { state.withLock { $0.running?.parameters.ssrc } }

    /// This stream's share of the transport's target (on the wire): the encoder follows it,
    /// and the adaptation picks the size and frame rate that share carries.
    func setTargetBitrate(wire: Int) {
        let update = state.withLock { s -> (Running, Int, changed: Bool)? in
            guard let running = s.running, running.parameters.kind == .video else { return nil }
            let target = min(running.encoderMaximum, max(30_000, BitrateAllocation.encoderBitrate(wire: wire, payloadSize: 1100)))
            let changed = target != s.currentTarget
            s.currentTarget = target
            return (running, target, changed)
        }
        guard let (running, target, changed) = update else { return }
        if changed { running.encoder.setTargetBitrate(target) }
        let now = running.clock.captureNanoseconds()
        adaptation.withLock { a in
            guard var current = a else { return }
            a = nil
            defer { a = current }
            // During the hold even the start rate again may end it.
            if current.hold(target: target, now: now) { return }
            guard changed else { return }
            current.pendingTarget = nil
            if let decision = current.adaptation.setTargetBitrate(target, now: now) { current.apply(decision) }
        }
    }

    /// A rate-limited PLI/FIR from the pipeline.
    func requestKeyframe() {
        guard let running = state.withLock({ $0.running }) else { return }
        running.encoder.requestKeyframe()
    }

    /// RTCP BYE for this stream (RFC 3550 §6.6), sent when the call ends.
    func goodbye() -> [UInt8]? {
        guard let ssrc = state.withLock({ $0.running?.parameters.ssrc }) else { return nil }
        var bytes: [UInt8] = []
        try? RTCPGoodbye(ssrcs: [ssrc], reason: "call ended").write(into: &bytes)
        return bytes
    }

    /// Started and not stopped since.
    var isSending: Bool { state.withLock { $0.running != nil } }
    /// Whether the running encoder is the one opened ahead (`openEncoderAhead`).
    var startedWithEncoderOpenedAhead: Bool { state.withLock { $0.startedWithEncoderOpenedAhead } }

    /// Opens the encoder for the negotiated stream now, on a queue of its own, for `start`
    /// to take when DTLS connects: opening libvpx at 640x480 takes about 7 ms
    /// (`vpx_codec_enc_init`, a perf probe), which would otherwise come between connecting and
    /// the first frame. `start` opens its own when the track's settings changed meanwhile.
    func openEncoderAhead(parameters: RTPStreamParameters, codec: RTCRtpCodecRegistration) {
        let request = MediaEncoderRequest(settings: track.getSettings(), parameters: parameters,
                                          maxBitrate: state.withLock { $0.maxBitrate }, inline: false,
                                          onCaptureThread: track.toleratesSlowSinks)
        guard ahead.withLock({ a in
            guard case .none = a else { return false }
            a = .opening
            return true
        }) else { return }
        aheadOpening.enter()
        DispatchQueue.global().async { [self] in
            defer { aheadOpening.leave() }
            let opened = try? codec.makeEncoder(request)
            let unused = ahead.withLock { a -> OpenedMediaEncoder? in
                guard case .opening = a else { return opened }
                guard let opened else { a = .none; return nil }
                a = .ready(request, opened)
                return nil
            }
            if let unused { Task { await unused.encoder.finish() } }
        }
    }

    /// Detaches from the track, leaves the pipeline and stops the encoder.
    func stop() async {
        _ = endWarmup()
        let unused = ahead.withLock { a -> OpenedMediaEncoder? in
            defer { a = .closed }
            if case .ready(_, let opened) = a { return opened }
            return nil
        }
        if let unused { await unused.encoder.finish() }
        let stopped = state.withLock { s -> (Running, FrameSinkToken?)? in
            defer { s.running = nil; s.sinkToken = nil }
            return s.running.map { ($0, s.sinkToken) }
        }
        guard let (running, token) = stopped else { return }
        if let token { track.removeSink(token) }
        await running.encoder.finish()
        let media = running.media, stream = running.stream
        try? await running.clock.eventLoop.submit { media.removeStream(stream) }.get()
    }

    /// What getStats reports of this stream.
    struct Statistics: Sendable {
        var outbound: RTCOutboundRtpStreamStats
        var remote: RTCRemoteInboundRtpStreamStats
        var framesSent: Int64
        var keyFramesSent: Int64
        var qpSum: Int64
        var width: Int
        var height: Int
        var framesPerSecond: Int
        var encoderDrops: Int
        /// Frames the adaptation left out (decimation, and the first frames held for the probes).
        var framesDecimated: Int
        var targetBitrate: Int
        var qualityLimitationReason: QualityLimitationReason
        var qualityLimitationDurations: [QualityLimitationReason: Double]
        var qualityLimitationResolutionChanges: Int
        /// Opus: the loss it plans for (OPUS_SET_PACKET_LOSS_PERC) and whether it sends FEC.
        var opusPacketLossPercent: Int?
        var opusInbandFEC: Bool?
        /// VP8: whether libvpx may drop frames (the adaptation's last rung).
        var encoderFrameDropping: Bool?
        /// Seconds inside the encoder (webrtc-stats `totalEncodeTime`); nil when encoding
        /// inline in simulated time, where nothing is measured.
        var totalEncodeTime: Double?
    }

    var statistics: Statistics? {
        let snapshot = state.withLock { s -> (Running, Int64, Int64, Int64, Int, Int, Int, Int, Int)? in
            guard let r = s.running else { return nil }
            return (r, s.framesSent, s.keyFramesSent, s.qpSum, s.frameWidth, s.frameHeight, s.recentFrames.count, s.opusLoss.percent, s.currentTarget)
        }
        guard let (running, framesSent, keyFramesSent, qpSum, width, height, fps, lossPercent, currentTarget) = snapshot else { return nil }
        let rtp = running.media.sender(running.stream)
        let drops = running.encoder.dropped()
        let now = running.clock.captureNanoseconds()
        let a = adaptation.withLock { a in
            a.map { ($0.adapter.framesDecimated + $0.framesHeld, $0.adaptation.decision.reason, $0.adaptation.qualityLimitationDurations(now: now),
                     $0.adaptation.resolutionChanges, $0.encoderDropsFrames) }
        }
        let audio = running.parameters.kind == .audio
        let encodeTime = running.encoder.measured.map { Double($0().totalEncodeTime) / 1e9 }
        return Statistics(outbound: rtp.statistics, remote: rtp.remoteStatistics, framesSent: framesSent,
                          keyFramesSent: keyFramesSent, qpSum: qpSum, width: width, height: height, framesPerSecond: fps,
                          encoderDrops: drops, framesDecimated: a?.0 ?? 0, targetBitrate: currentTarget,
                          qualityLimitationReason: a?.1 ?? .none, qualityLimitationDurations: a?.2 ?? [:],
                          qualityLimitationResolutionChanges: a?.3 ?? 0,
                          opusPacketLossPercent: audio ? lossPercent : nil, opusInbandFEC: audio ? running.parameters.opusInbandFEC : nil,
                          encoderFrameDropping: a?.4, totalEncodeTime: encodeTime)
    }
}
