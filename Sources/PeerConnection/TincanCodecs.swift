import MediaCodecs
import RTP
import SDP

extension RTCRtpCodecRegistry {
    /// Tincan's codecs: VP8 (RFC 7741) with RTX (RFC 4588), Opus (RFC 7587), over the
    /// default pipeline.
    public static let tincan = RTCRtpCodecRegistry(codecs: [.vp8, .opus])
}

extension RTCRtpCodecRegistration {
    /// VP8 on 96, RTX on 97; payloads of at most 1100 bytes (room for SRTP and extensions
    /// under a 1200-byte MTU), a random first picture ID.
    public static let vp8 = RTCRtpCodecRegistration(
        kind: .video,
        codec: RTPCodec(payloadType: 96, name: "VP8", clockRate: 90000),
        rtxPayloadType: 97,
        makePacketizer: { VP8Packetizer(maxPayloadSize: 1100, initialPictureID: .random(in: 0...0x7FFF)) },
        depacketizer: VP8Depacketizer.self,
        makeDecoder: { _ throws(CodecError) in try VP8Decoder(threads: 2) })

    /// Opus on 111, written `opus/48000/2` as Chromium requires (docs/interop.md), receiving
    /// 10 ms packets and in-band FEC.
    public static let opus = RTCRtpCodecRegistration(
        kind: .audio,
        codec: RTPCodec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2,
                        parameters: FormatParameters([("minptime", "10"), ("useinbandfec", "1")])),
        makePacketizer: { OpusPacketizer() },
        depacketizer: OpusDepacketizer.self,
        makeDecoder: { channels throws(CodecError) in try OpusDecoder(channelCount: channels) })
}
