import COpus
import MediaPrimitives

/// A VoIP Opus encoder over libopus at 48 kHz. It takes AudioFrames of any length, buffers
/// them, and emits one packet per `frameDuration` whose timestamp is the capture time of its
/// first sample. The one owner of its `OpusEncoder*`. Not thread-safe (one serial context).
public final class OpusEncoder {
    public static let sampleRate = 48_000
    public private(set) var configuration: OpusEncoderConfiguration
    private let encoder: OpaquePointer
    /// Samples per channel per packet.
    public let frameSize: Int
    /// Samples the decoder must discard at the start (OPUS_GET_LOOKAHEAD): the Ogg pre-skip.
    public let lookahead: Int
    private var buffer: [Int16] = []
    /// Capture time of `buffer`'s first sample.
    private var bufferTimestamp: UInt64 = 0
    private var output = [UInt8](repeating: 0, count: 1500)

    public init(configuration: OpusEncoderConfiguration) throws(CodecError) {
        guard configuration.channelCount == 1 || configuration.channelCount == 2 else {
            throw CodecError(codec: "Opus", "\(configuration.channelCount) channels: only mono and stereo")
        }
        guard [10, 20, 40, 60].contains(configuration.frameDuration) else {
            throw CodecError(codec: "Opus", "frame duration \(configuration.frameDuration) ms is not 10, 20, 40 or 60")
        }
        var err: Int32 = 0
        guard let enc = opus_encoder_create(Int32(Self.sampleRate), Int32(configuration.channelCount), OPUS_APPLICATION_VOIP, &err),
              err == OPUS_OK else {
            throw CodecError(codec: "Opus", "opus_encoder_create: \(String(cString: opus_strerror(err)))")
        }
        encoder = enc
        self.configuration = configuration
        frameSize = Self.sampleRate * configuration.frameDuration / 1000
        var look: Int32 = 0
        _ = tincan_opus_get_lookahead(enc, &look)
        lookahead = Int(look)
        do {
            try check(tincan_opus_set_complexity(enc, Int32(configuration.complexity)), "complexity")
            try setBitrate(configuration.bitrate)
            try setInbandFEC(configuration.inbandFEC, packetLossPercent: configuration.packetLossPercent)
            try setDTX(configuration.dtx)
        } catch {
            opus_encoder_destroy(enc)
            throw error
        }
    }

    deinit { opus_encoder_destroy(encoder) }

    private func check(_ status: Int32, _ what: String) throws(CodecError) {
        guard status == OPUS_OK else { throw CodecError(codec: "Opus", "\(what): \(String(cString: opus_strerror(status)))") }
    }

    /// Changes the bitrate on the fly (6-510 kbit/s).
    public func setBitrate(_ bitsPerSecond: Int) throws(CodecError) {
        guard (6000...510_000).contains(bitsPerSecond) else { throw CodecError(codec: "Opus", "bitrate \(bitsPerSecond) out of 6000...510000") }
        try check(tincan_opus_set_bitrate(encoder, Int32(bitsPerSecond)), "bitrate")
        configuration.bitrate = bitsPerSecond
    }

    /// The bitrate libopus reports it uses.
    public var bitrate: Int {
        var value: Int32 = 0
        _ = tincan_opus_get_bitrate(encoder, &value)
        return Int(value)
    }

    /// What libopus says it is set to (OPUS_GET_INBAND_FEC, OPUS_GET_PACKET_LOSS_PERC).
    public var inbandFECEnabled: Bool {
        var value: Int32 = 0
        _ = tincan_opus_get_inband_fec(encoder, &value)
        return value != 0
    }

    public var expectedPacketLossPercent: Int {
        var value: Int32 = 0
        _ = tincan_opus_get_packet_loss_perc(encoder, &value)
        return Int(value)
    }

    /// In-band FEC on or off (for a peer whose fmtp has `useinbandfec=1`, RFC 7587 §6.1)
    /// and the loss to plan for, 0...100 (FEC costs bits only when it is above 0).
    public func setInbandFEC(_ on: Bool, packetLossPercent: Int) throws(CodecError) {
        try check(tincan_opus_set_inband_fec(encoder, on ? 1 : 0), "inband FEC")
        try check(tincan_opus_set_packet_loss_perc(encoder, Int32(max(0, min(100, packetLossPercent)))), "packet loss")
        configuration.inbandFEC = on
        configuration.packetLossPercent = packetLossPercent
    }

    public func setDTX(_ on: Bool) throws(CodecError) {
        try check(tincan_opus_set_dtx(encoder, on ? 1 : 0), "DTX")
        configuration.dtx = on
    }

    /// Buffers `frame` and encodes every whole packet's worth of samples.
    public func encode(_ frame: AudioFrame) throws(CodecError) -> [EncodedAudioFrame] {
        guard frame.sampleRate == Self.sampleRate, frame.channelCount == configuration.channelCount else {
            throw CodecError(codec: "Opus", "audio is \(frame.sampleRate) Hz x\(frame.channelCount), the encoder 48000 Hz x\(configuration.channelCount)")
        }
        let channels = configuration.channelCount
        if buffer.isEmpty {
            bufferTimestamp = frame.timestamp
        }
        buffer.append(contentsOf: frame.samples.prefix(frame.frameCount * channels))
        var out: [EncodedAudioFrame] = []
        let step = frameSize * channels
        var start = 0
        while buffer.count - start >= step {
            let count: Int32 = buffer.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { bytes in
                    guard let samples = input.baseAddress, let packet = bytes.baseAddress else { return OPUS_BAD_ARG }
                    return opus_encode(encoder, samples + start, Int32(frameSize), packet, Int32(bytes.count))
                }
            }
            guard count > 0 else {
                throw CodecError(codec: "Opus", "opus_encode: \(String(cString: opus_strerror(count)))")
            }
            out.append(EncodedAudioFrame(data: Array(output[0..<Int(count)]), timestamp: bufferTimestamp,
                                         sampleCount: frameSize, channelCount: channels))
            bufferTimestamp += MediaTimestamp.nanoseconds(fromUnits: UInt64(frameSize), clockRate: Self.sampleRate)
            start += step
        }
        buffer.removeFirst(start)
        return out
    }
}
