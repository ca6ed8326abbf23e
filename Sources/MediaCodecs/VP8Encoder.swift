import CVPX
import MediaPrimitives
#if canImport(Glibc)
import Glibc
#endif

/// A real-time VP8 encoder over libvpx: one-pass CBR, VPX_DL_REALTIME, no lag, error
/// resilient. The one owner of its `vpx_codec_ctx_t`, destroyed in deinit. Not thread-safe:
/// use it from one thread or serial context at a time (`EncoderWorker` does).
public final class VP8Encoder {
    public private(set) var configuration: VP8EncoderConfiguration
    private var context = vpx_codec_ctx_t()
    private var config = vpx_codec_enc_cfg_t()
    private var image = vpx_image_t()
    private var lastTimestamp: UInt64?
    private var lastPTS: Int64 = -1
    private var keyframeRequested = false
    /// Capture timestamps of frames inside libvpx, by pts (lag is 0, so at most a couple).
    private var pending: [Int64: UInt64] = [:]
    /// Frames libvpx's rate control chose to skip (only with frameDropThreshold > 0).
    public private(set) var rateControlDrops = 0
    public private(set) var framesEncoded = 0
    /// Keyframe requests folded into one already waiting (PLI storms; see `keyframeAllowed`).
    public private(set) var keyframeRequestsCoalesced = 0
    private var lastKeyframeTimestamp: UInt64?
    /// The size libvpx was opened with: smaller sizes need no new encoder.
    private var initialWidth = 0
    private var initialHeight = 0
    /// The size changed: the next frame must be a keyframe, whatever the throttle says.
    private var sizeChanged = false
    /// Picture size changes followed (`setSize`, or frames of a new size).
    public private(set) var resizes = 0

    /// The frames really encoded per second (fewer than the track's when frames are dropped
    /// before the encoder).
    private var inputRate: FrameRateEstimator
    /// The encoder's time base: the 90 kHz video clock (pts run evenly at the measured input
    /// rate; the capture timestamps travel beside them, see `encode`).
    public static let timebase = (numerator: 1, denominator: MediaTimestamp.videoClockRate)
    public static let defaultMaxBitrate = 4_000_000

    /// A target for a picture size and frame rate: about 0.08 bit per pixel per frame at
    /// 30 fps (640x480@30 ≈ 740 kbit/s, 1280x720@30 ≈ 2.2 Mbit/s), scaled by fps^0.6 so that
    /// fewer frames per second get more bits each (10 fps gets 52% of the 30 fps rate, but
    /// each frame gets 1.55 times the bits).
    public static func defaultBitrate(width: Int, height: Int, frameRate: Double) -> Int {
        let fps = max(1, min(frameRate, 120))
        let bits = Double(width * height) * 0.08 * 30 * pow(fps / 30, 0.6)
        return max(50_000, min(Int(bits), defaultMaxBitrate))
    }

    /// cpu-used for a real-time call on a 2-core machine: the fastest settings for big
    /// pictures, some quality back for small ones.
    public static func defaultCPUUsed(width: Int, height: Int) -> Int {
        let pixels = width * height
        if pixels >= 1280 * 720 { return -8 }
        if pixels >= 640 * 480 { return -6 }
        return -4
    }

    /// One thread per track unless the picture is 1080p or more and there are 4 cores: the
    /// VP8 encoder's threads wait for each other's macroblock rows by spinning, so on 2 cores a
    /// second thread cost CPU and bought no time. vpxenc with Tincan's settings, 300 frames of
    /// 1280x720 (bench-pipeline's camera): 1.31 CPU s and 1.31 s wall on 1 thread, 2.04 CPU s
    /// and 1.27 s wall on 2; 150 frames of 1080p: 1.65 / 1.66 s on 1, 2.16 / 1.24 s on 2
    /// (docs/performance.md). One thread encodes a 1080p frame in 11 ms, a third of 30 fps.
    public static func defaultThreads(width: Int, height: Int, cores: Int = VP8Encoder.onlineCores) -> Int {
        width * height >= 1920 * 1080 && cores >= 4 ? 2 : 1
    }

    public static var onlineCores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    public init(configuration: VP8EncoderConfiguration) throws(CodecError) {
        let c = configuration
        guard c.width > 0, c.height > 0, c.width <= 16383, c.height <= 16383 else {
            throw CodecError(codec: "VP8", "bad size \(c.width)x\(c.height)")
        }
        guard c.frameRate > 0, c.frameRate <= 1000 else { throw CodecError(codec: "VP8", "bad frame rate \(c.frameRate)") }
        self.configuration = c
        inputRate = FrameRateEstimator(initial: c.frameRate)
        guard vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &config, 0) == VPX_CODEC_OK else {
            throw CodecError(codec: "VP8", "no default configuration")
        }
        config.g_w = UInt32(c.width)
        config.g_h = UInt32(c.height)
        config.g_timebase = vpx_rational(num: Int32(Self.timebase.numerator), den: Int32(Self.timebase.denominator))
        config.g_threads = UInt32(c.effectiveThreads)
        config.g_lag_in_frames = 0
        config.g_pass = VPX_RC_ONE_PASS
        config.g_error_resilient = c.errorResilient ? vpx_codec_er_flags_t(VPX_ERROR_RESILIENT_DEFAULT) : 0
        config.rc_end_usage = VPX_CBR
        config.rc_target_bitrate = UInt32(c.effectiveBitrate / 1000)
        config.rc_dropframe_thresh = UInt32(c.frameDropThreshold)
        config.rc_resize_allowed = 0
        config.rc_min_quantizer = UInt32(c.minQuantizer)
        config.rc_max_quantizer = UInt32(c.maxQuantizer)
        config.rc_undershoot_pct = UInt32(c.undershootPercent)
        config.rc_overshoot_pct = UInt32(c.overshootPercent)
        config.rc_buf_sz = UInt32(c.bufferSize)
        config.rc_buf_initial_sz = UInt32(c.bufferInitialSize)
        config.rc_buf_optimal_sz = UInt32(c.bufferOptimalSize)
        if c.keyframeInterval > 0 {
            config.kf_mode = VPX_KF_AUTO
            config.kf_min_dist = 0
            config.kf_max_dist = UInt32(c.keyframeInterval)
        } else {
            config.kf_mode = VPX_KF_DISABLED
        }
        initialWidth = c.width
        initialHeight = c.height
        try open()
    }

    /// vpx_codec_enc_init with `config`, then the controls; nothing left open on failure.
    private func open() throws(CodecError) {
        let c = configuration
        let status = tincan_vpx_codec_enc_init(&context, vpx_codec_vp8_cx(), &config, 0)
        guard status == VPX_CODEC_OK else {
            throw CodecError(codec: "VP8", "vpx_codec_enc_init: \(String(cString: vpx_codec_err_to_string(status)))")
        }
        do {
            try control(VP8E_SET_CPUUSED.rawValue, c.effectiveCPUUsed)
            try control(VP8E_SET_STATIC_THRESHOLD.rawValue, c.staticThreshold)
            try control(VP8E_SET_NOISE_SENSITIVITY.rawValue, 0)
            try control(VP8E_SET_TOKEN_PARTITIONS.rawValue, c.effectiveTokenPartitions)
            try control(VP8E_SET_MAX_INTRA_BITRATE_PCT.rawValue, c.maxIntraBitratePercent)
        } catch {
            vpx_codec_destroy(&context)
            context = vpx_codec_ctx_t()
            throw error
        }
    }

    /// Follows a new picture size (adaptation's crop-and-scale) without a new encoder when it
    /// fits in the size libvpx was opened with: VP8 takes a smaller g_w/g_h through
    /// vpx_codec_enc_config_set (vp8_cx_iface.c refuses only sizes above the initial one) and
    /// keeps its rate control. A larger one re-creates the encoder. Either way the next
    /// frame is a keyframe: a VP8 picture size travels only in keyframes (RFC 6386 §9.1).
    public func setSize(width: Int, height: Int) throws(CodecError) {
        guard width != configuration.width || height != configuration.height else { return }
        guard width > 0, height > 0, width <= 16383, height <= 16383 else {
            throw CodecError(codec: "VP8", "bad size \(width)x\(height)")
        }
        let previous = configuration
        configuration.width = width
        configuration.height = height
        config.g_w = UInt32(width)
        config.g_h = UInt32(height)
        do throws(CodecError) {
            if width <= initialWidth && height <= initialHeight {
                let status = vpx_codec_enc_config_set(&context, &config)
                guard status == VPX_CODEC_OK else { throw error("vpx_codec_enc_config_set \(width)x\(height)", status) }
                if previous.cpuUsed == nil, previous.effectiveCPUUsed != configuration.effectiveCPUUsed {
                    try control(VP8E_SET_CPUUSED.rawValue, configuration.effectiveCPUUsed)
                }
            } else {
                vpx_codec_destroy(&context)
                context = vpx_codec_ctx_t()
                config.g_threads = UInt32(configuration.effectiveThreads)
                try open()
                initialWidth = width
                initialHeight = height
            }
        } catch {
            configuration = previous
            config.g_w = UInt32(previous.width)
            config.g_h = UInt32(previous.height)
            throw error
        }
        sizeChanged = true
        resizes += 1
    }

    /// Lets libvpx drop frames itself when its buffer runs low (rc_dropframe_thresh, percent
    /// of the buffer; 0 never): adaptation's last rung.
    public func setFrameDropThreshold(_ percent: Int) throws(CodecError) {
        let value = UInt32(max(0, min(100, percent)))
        guard value != config.rc_dropframe_thresh else { return }
        config.rc_dropframe_thresh = value
        let status = vpx_codec_enc_config_set(&context, &config)
        guard status == VPX_CODEC_OK else { throw error("vpx_codec_enc_config_set", status) }
        configuration.frameDropThreshold = Int(value)
    }

    /// libwebrtc's threshold when frame dropping is on (LibvpxVp8Encoder: 30 % of the buffer).
    public static let frameDroppingThreshold = 30

    /// Frame dropping on or off: the last rung of the adaptation ladder only
    /// (`VideoRung.encoderMayDropFrames`); above it, lowering the frame rate and the size
    /// keeps the motion smooth where dropped frames would stutter.
    public func setFrameDropping(_ on: Bool) throws(CodecError) {
        try setFrameDropThreshold(on ? Self.frameDroppingThreshold : 0)
    }

    /// `setFrameDropping` as a change for the encoder's queue (`EncoderWorker.reconfigure`).
    public static func frameDropping(_ on: Bool) -> EncoderChange<VP8Encoder> {
        { encoder throws(CodecError) in try encoder.setFrameDropping(on) }
    }

    deinit { vpx_codec_destroy(&context) }

    private func control(_ id: UInt32, _ value: Int) throws(CodecError) {
        let status = tincan_vpx_codec_control_int(&context, Int32(id), Int32(value))
        guard status == VPX_CODEC_OK else { throw error("control \(id) = \(value)", status) }
    }

    private func error(_ what: String, _ status: vpx_codec_err_t) -> CodecError {
        var text = String(cString: vpx_codec_err_to_string(status))
        if let detail = vpx_codec_error_detail(&context) { text += " (\(String(cString: detail)))" }
        return CodecError(codec: "VP8", "\(what): \(text)")
    }

    /// The current target in bit/s.
    public var targetBitrate: Int { Int(config.rc_target_bitrate) * 1000 }

    /// Changes the target on the fly (congestion control, REMB) without re-creating the
    /// encoder: vpx_codec_enc_config_set keeps the reference frames. Capped at `maxBitrate`.
    public func setTargetBitrate(_ bitsPerSecond: Int) throws(CodecError) {
        let kbps = max(1, min(bitsPerSecond, configuration.maxBitrate) / 1000)
        guard UInt32(kbps) != config.rc_target_bitrate else { return }
        config.rc_target_bitrate = UInt32(kbps)
        let status = vpx_codec_enc_config_set(&context, &config)
        guard status == VPX_CODEC_OK else { throw error("vpx_codec_enc_config_set", status) }
        configuration.targetBitrate = kbps * 1000
    }

    /// The next frame becomes a keyframe (PLI/FIR from the receiver), or the first one
    /// `minKeyframeInterval` after the previous keyframe.
    public func requestKeyframe() {
        if keyframeRequested { keyframeRequestsCoalesced += 1 }
        keyframeRequested = true
    }

    /// Encodes one I420 picture. Usually one frame comes out; none when rate control drops
    /// it. A picture of another size than the last changes the encoder's size (`setSize`). Rate control follows the frames' true rate (measured from their capture times),
    /// and each output frame carries its input's capture timestamp.
    public func encode(_ frame: VideoFrame) throws(CodecError) -> [EncodedVideoFrame] {
        guard frame.data.count == VideoFrame.byteCount(width: frame.width, height: frame.height) else {
            throw CodecError(codec: "VP8", "a \(frame.width)x\(frame.height) frame of \(frame.data.count) bytes")
        }
        if frame.width != configuration.width || frame.height != configuration.height {
            try setSize(width: frame.width, height: frame.height)
        }
        // libvpx sees an even timeline at the measured input rate: pts advances by one
        // nominal duration per frame (what libwebrtc's LibvpxVp8Encoder does: timestamp_ +=
        // duration). libvpx VP8 takes the frame interval from successive end times (pts +
        // duration) and re-derives the per-frame budget from every interval that differs by
        // 10 % (onyx_if.c, vp8_get_compressed_data): fed the real, uneven gaps of a worker
        // that drops frames, its rate control overshoots the target by 30-130 %.
        let fps = inputRate.add(max(frame.timestamp, lastTimestamp ?? 0))
        lastTimestamp = max(frame.timestamp, lastTimestamp ?? 0)
        let duration = Int64(max(1, (Double(MediaTimestamp.videoClockRate) / max(1, min(fps, 240))).rounded()))
        let pts = lastPTS < 0 ? 0 : lastPTS + duration
        lastPTS = pts
        pending[pts] = frame.timestamp

        var flags: vpx_enc_frame_flags_t = 0
        if sizeChanged || (keyframeRequested && keyframeAllowed(at: frame.timestamp)) {
            flags |= tincan_vpx_eflag_force_kf()
            keyframeRequested = false
            sizeChanged = false
        }
        let width = frame.width, height = frame.height
        let chromaWidth = frame.chromaWidth, chromaHeight = frame.chromaHeight
        let status: vpx_codec_err_t = frame.data.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return VPX_CODEC_INVALID_PARAM }
            let y = UnsafeMutablePointer(mutating: base)
            guard vpx_img_wrap(&image, VPX_IMG_FMT_I420, UInt32(width), UInt32(height), 1, y) != nil else {
                return VPX_CODEC_INVALID_PARAM
            }
            // Set planes and strides ourselves: vpx_img_wrap rounds odd widths up.
            image.planes.0 = y
            image.planes.1 = y + width * height
            image.planes.2 = y + width * height + chromaWidth * chromaHeight
            image.stride.0 = Int32(width)
            image.stride.1 = Int32(chromaWidth)
            image.stride.2 = Int32(chromaWidth)
            return vpx_codec_encode(&context, &image, pts, UInt(duration), flags, tincan_vpx_dl_realtime())
        }
        guard status == VPX_CODEC_OK else { throw error("vpx_codec_encode", status) }
        let out = collect()
        if out.isEmpty { rateControlDrops += 1 }
        for e in out where e.isKeyframe { lastKeyframeTimestamp = e.timestamp }
        return out
    }

    /// Whether a requested keyframe may be forced now: at most one per
    /// `minKeyframeInterval` of capture time, like libwebrtc's EncoderRtcpFeedback
    /// (kMinKeyframeSendIntervalMs = 300). Each forced keyframe over the average frame size
    /// adds to libvpx VP8's `kf_overspend_bits`, which later inter frames repay down to a
    /// quarter of their share (ratectrl.c, calc_pframe_target_size / vp8_adjust_key_frame_
    /// context); a PLI storm that makes every frame a keyframe piles up a debt that holds the
    /// output far below the target for tens of seconds after the storm. A request that comes
    /// too soon is kept (and counted), not lost: it is served once the interval has passed.
    private func keyframeAllowed(at timestamp: UInt64) -> Bool {
        guard let last = lastKeyframeTimestamp, timestamp > last else { return true }
        return timestamp - last >= configuration.minKeyframeInterval
    }

    /// Drains the encoder at the end of a stream (nothing is held back with lag 0, but libvpx
    /// wants the final NULL-image call).
    public func flush() throws(CodecError) -> [EncodedVideoFrame] {
        let status = vpx_codec_encode(&context, nil, -1, 1, 0, tincan_vpx_dl_realtime())
        guard status == VPX_CODEC_OK else { throw error("vpx_codec_encode(flush)", status) }
        return collect()
    }

    private func collect() -> [EncodedVideoFrame] {
        var out: [EncodedVideoFrame] = []
        var iterator: vpx_codec_iter_t? = nil
        // Lag is 0: what comes out is the frame just encoded, whose quantizer this is.
        var q: Int32 = -1
        let qp: Int? = tincan_vpx_codec_control_get_int(&context, Int32(VP8E_GET_LAST_QUANTIZER.rawValue), &q) == VPX_CODEC_OK && q >= 0 ? Int(q) : nil
        while let packet = vpx_codec_get_cx_data(&context, &iterator) {
            guard packet.pointee.kind == VPX_CODEC_CX_FRAME_PKT else { continue }
            let f = packet.pointee.data.frame
            let bytes = Array(UnsafeRawBufferPointer(start: f.buf, count: f.sz))
            let timestamp = pending.removeValue(forKey: f.pts) ?? lastTimestamp ?? 0
            out.append(EncodedVideoFrame(data: bytes, timestamp: timestamp,
                                         isKeyframe: f.flags & vpx_codec_frame_flags_t(VPX_FRAME_IS_KEY) != 0,
                                         width: configuration.width, height: configuration.height, qp: qp))
            framesEncoded += 1
        }
        // Frames rate control skipped never come back: forget them.
        if pending.count > 4, let newest = pending.keys.max() { pending = pending.filter { $0.key == newest } }
        return out
    }
}
