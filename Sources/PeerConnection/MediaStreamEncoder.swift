import MediaCodecs

/// What the worker measured of its encoder (webrtc-stats outbound-rtp figures).
struct MediaEncoderFigures: Sendable {
    var encoded: Int
    var dropped: Int
    /// ns inside the encoder: what the CPU-overuse adaptation compares with the frame interval.
    var totalEncodeTime: UInt64
}

/// One sending stream's encoder with its codec erased, so that `RTCRtpSender` has one path
/// for every codec: either on a worker of its own (`EncoderWorker`: a real call keeps
/// encoding off the network loop) or inline on the loop (`InlineEncoder`: simulated time).
/// A registration opens it (`RTCRtpCodecRegistration.makeEncoder`); the codec's own knobs
/// (VP8's frame dropping, Opus's expected loss and FEC) are nil where a codec has none.
struct MediaStreamEncoder: Sendable {
    /// Worker: queues a frame (drop-oldest); the encoded frames come out of the pump.
    let submit: @Sendable (MediaFrame) -> Void
    /// Inline: encodes now, on the caller (the event loop).
    let encodeNow: (@Sendable (MediaFrame) -> [EncodedMedia])?
    /// Worker: hands each encoded frame to `deliver` on the worker's queue, until `finish`
    /// (call it before the first frame is submitted).
    let startPump: (@Sendable (_ deliver: @escaping @Sendable (EncodedMedia) -> Void) -> Void)?
    let setTargetBitrate: @Sendable (Int) -> Void
    let requestKeyframe: @Sendable () -> Void
    /// The worker's figures; nil inline, where no encode time is measured (simulated time
    /// models it instead, `RTCSettingEngine.simulatedVideoEncodeTime`).
    let measured: (@Sendable () -> MediaEncoderFigures)?
    /// Frames the encoder's queue dropped.
    let dropped: @Sendable () -> Int
    /// Encodes what waits and flushes (worker); nothing inline.
    let finish: @Sendable () async -> Void
    /// Whether the encoder may skip frames to hold its rate (the adaptation's last rung).
    let setFrameDropping: (@Sendable (Bool) -> Void)?
    /// The loss the encoder plans for, in percent, and whether it adds in-band FEC.
    let setPacketLoss: (@Sendable (_ percent: Int, _ inbandFEC: Bool) -> Void)?
    /// Worker: whether it encodes on the thread that submits (`EncoderWorker.setRunsOnCaller`),
    /// for a replaced track whose source delivers on another kind of thread; nil inline.
    let setRunsOnCaller: (@Sendable (Bool) -> Void)?

    /// Wraps `encoder` on a worker (`capacity` frames waiting at most; `runsOnCaller`: on the
    /// submitting thread when it is free, `EncoderWorker.runsOnCaller`) or inline. `input`
    /// takes the frames of the encoder's kind, `output` tags what it encodes.
    static func make<Encoder: QueuedEncoder>(
        _ encoder: sending Encoder, inline: Bool, capacity: Int, label: String, runsOnCaller: Bool = false,
        input: @escaping @Sendable (MediaFrame) -> Encoder.Input?,
        output: @escaping @Sendable (Encoder.Output) -> EncodedMedia,
        frameDropping: (@Sendable (Bool) -> EncoderChange<Encoder>)? = nil,
        packetLoss: (@Sendable (_ percent: Int, _ inbandFEC: Bool) -> EncoderChange<Encoder>)? = nil
    ) -> MediaStreamEncoder {
        if inline {
            let e = InlineEncoder(encoder)
            let encodeNow: @Sendable (MediaFrame) -> [EncodedMedia] = { frame in
                guard let i = input(frame) else { return [] }
                return e.encode(i).map(output)
            }
            var dropping: (@Sendable (Bool) -> Void)?
            if let frameDropping { dropping = { on in e.reconfigure(frameDropping(on)) } }
            var loss: (@Sendable (Int, Bool) -> Void)?
            if let packetLoss { loss = { percent, fec in e.reconfigure(packetLoss(percent, fec)) } }
            return MediaStreamEncoder(
                submit: { _ in }, encodeNow: encodeNow, startPump: nil,
                setTargetBitrate: { e.setTargetBitrate($0) }, requestKeyframe: { e.requestKeyframe() },
                measured: nil, dropped: { e.statistics.dropped }, finish: {},
                setFrameDropping: dropping, setPacketLoss: loss, setRunsOnCaller: nil)
        }
        let w = EncoderWorker(encoder: encoder, capacity: capacity, label: label, runsOnCaller: runsOnCaller)
        let submit: @Sendable (MediaFrame) -> Void = { frame in
            if let i = input(frame) { w.submit(i) }
        }
        let startPump: @Sendable (@escaping @Sendable (EncodedMedia) -> Void) -> Void = { deliver in
            w.deliver { deliver(output($0)) }
        }
        let measured: @Sendable () -> MediaEncoderFigures = {
            let s = w.statistics
            return MediaEncoderFigures(encoded: s.encoded, dropped: s.dropped, totalEncodeTime: s.totalEncodeTime)
        }
        var dropping: (@Sendable (Bool) -> Void)?
        if let frameDropping { dropping = { on in w.reconfigure(frameDropping(on)) } }
        var loss: (@Sendable (Int, Bool) -> Void)?
        if let packetLoss { loss = { percent, fec in w.reconfigure(packetLoss(percent, fec)) } }
        return MediaStreamEncoder(
            submit: submit, encodeNow: nil, startPump: startPump,
            setTargetBitrate: { w.setTargetBitrate($0) }, requestKeyframe: { w.requestKeyframe() },
            measured: measured, dropped: { w.statistics.dropped }, finish: { await w.finish() },
            setFrameDropping: dropping, setPacketLoss: loss, setRunsOnCaller: { w.setRunsOnCaller($0) })
    }
}
