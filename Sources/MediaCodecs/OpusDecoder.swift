import COpus
import MediaPrimitives

/// An Opus decoder over libopus at 48 kHz. The one owner of its `OpusDecoder*`. Bad packets
/// are errors; a lost packet is concealed (or recovered from the next packet's FEC).
public final class OpusDecoder {
    public static let sampleRate = 48_000
    public let channelCount: Int
    private let decoder: OpaquePointer
    /// 120 ms, the longest Opus packet.
    private let maxFrame = 5760

    public init(channelCount: Int) throws(CodecError) {
        guard channelCount == 1 || channelCount == 2 else {
            throw CodecError(codec: "Opus", "\(channelCount) channels: only mono and stereo")
        }
        var err: Int32 = 0
        guard let dec = opus_decoder_create(Int32(Self.sampleRate), Int32(channelCount), &err), err == OPUS_OK else {
            throw CodecError(codec: "Opus", "opus_decoder_create: \(String(cString: opus_strerror(err)))")
        }
        decoder = dec
        self.channelCount = channelCount
    }

    deinit { opus_decoder_destroy(decoder) }

    /// Decodes one packet. `packet == nil` conceals a lost packet of `lostSamples` samples;
    /// `fec` decodes the FEC copy of the previous (lost) packet that `packet` carries.
    public func decode(_ packet: [UInt8]?, timestamp: UInt64 = 0, fec: Bool = false, lostSamples: Int = 960) throws(CodecError) -> AudioFrame {
        var pcm = [Int16](repeating: 0, count: maxFrame * channelCount)
        let frameCount: Int = fec || packet == nil ? min(max(lostSamples, 120), maxFrame) : maxFrame
        let n: Int32 = pcm.withUnsafeMutableBufferPointer { buffer in
            guard let out = buffer.baseAddress else { return OPUS_BAD_ARG }
            if let packet {
                guard !packet.isEmpty else { return OPUS_INVALID_PACKET }
                return packet.withUnsafeBufferPointer {
                    opus_decode(decoder, $0.baseAddress, Int32($0.count), out, Int32(frameCount), fec ? 1 : 0)
                }
            }
            return opus_decode(decoder, nil, 0, out, Int32(frameCount), 0)
        }
        guard n >= 0 else { throw CodecError(codec: "Opus", "opus_decode: \(String(cString: opus_strerror(n)))") }
        pcm.removeLast(pcm.count - Int(n) * channelCount)
        return AudioFrame(sampleRate: Self.sampleRate, channelCount: channelCount, samples: pcm, timestamp: timestamp)
    }
}
