import MediaCodecs

/// An audio decoder the jitter buffer can drive through a loss: the registered codec's
/// decoder (`RTCRtpCodecRegistration.makeDecoder`, the one decode path) when it also
/// conceals. Opus does both (RFC 6716 §4.4 packet loss concealment; the LBRR frames of
/// in-band FEC, §2.1.7 and RFC 7587 §3.2). Samples are interleaved 16-bit at 48 kHz.
protocol ConcealingAudioDecoder: MediaDecoder, SendableMetatype {
    var channelCount: Int { get }
    /// One packet's samples.
    func decodeSamples(_ packet: [UInt8]) throws(CodecError) -> [Int16]
    /// `frames` samples (per channel) made up for a lost packet (PLC).
    func conceal(frames: Int) throws(CodecError) -> [Int16]
    /// The lost packet just before `next`, from the FEC copy `next` carries (concealed by
    /// the codec when it carries none).
    func recover(frames: Int, from next: [UInt8]) throws(CodecError) -> [Int16]
    /// Samples per channel in `packet`, read from its header without decoding it.
    static func frameCount(of packet: [UInt8]) -> Int?
}

extension OpusDecoder: ConcealingAudioDecoder {
    func decodeSamples(_ packet: [UInt8]) throws(CodecError) -> [Int16] { try decode(packet).samples }
    func conceal(frames: Int) throws(CodecError) -> [Int16] { try decode(nil, lostSamples: frames).samples }
    func recover(frames: Int, from next: [UInt8]) throws(CodecError) -> [Int16] {
        try decode(next, fec: true, lostSamples: frames).samples
    }
}
