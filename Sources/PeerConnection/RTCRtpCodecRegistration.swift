import MediaCodecs
import RTP
import SDP

/// One codec Tincan can send and receive: the codec as an m-section writes it, paired with
/// what turns frames into packets and back. Registering one in `RTCRtpCodecRegistry` is all
/// a new codec (VP9, H.264) takes: negotiation offers it, and the stream negotiated on it
/// finds its parts here.
public struct RTCRtpCodecRegistration: Sendable {
    public var kind: RTPMediaKind
    /// `a=rtpmap` (the local payload type, name, clock rate, channels), `a=fmtp` (what we
    /// want to receive with) and the rtcp-fb the codec needs of its own; the transport
    /// stages add theirs (`RTPTransportConfiguration.features(for:)`) when it is offered.
    public var codec: RTPCodec
    /// The RFC 4588 retransmission payload type offered beside it (`apt` = the codec's),
    /// when lost packets are resent (video); nil: no RTX.
    public var rtxPayloadType: Int?
    /// Opens an encoder for one sending stream: the track's settings, the negotiated
    /// parameters and the user's cap give its configuration and the rates the sender starts
    /// from; on a worker or inline (`MediaStreamEncoder`).
    let makeEncoder: @Sendable (MediaEncoderRequest) throws(CodecError) -> OpenedMediaEncoder
    /// A fresh packetizer for one sending stream (its state, e.g. VP8's picture ID, runs on
    /// through the call).
    let makePacketizer: @Sendable () -> any RTPPacketizer
    /// The payload format's rules for the jitter buffer (frame starts, keyframes, headers).
    let depacketizer: any RTPDepacketizer.Type
    /// A decoder for one receiving stream, given its channel count (audio; 1 or 2).
    let makeDecoder: @Sendable (_ channels: Int) throws(CodecError) -> any MediaDecoder

    /// The parts are the package's own (the encoder and decoder protocols are internal):
    /// a new codec is registered here, beside VP8 and Opus (`TincanCodecs.swift`).
    init(kind: RTPMediaKind, codec: RTPCodec, rtxPayloadType: Int? = nil,
         makeEncoder: @escaping @Sendable (MediaEncoderRequest) throws(CodecError) -> OpenedMediaEncoder,
                makePacketizer: @escaping @Sendable () -> any RTPPacketizer,
                depacketizer: any RTPDepacketizer.Type,
                makeDecoder: @escaping @Sendable (_ channels: Int) throws(CodecError) -> any MediaDecoder) {
        self.kind = kind
        self.codec = codec
        self.rtxPayloadType = rtxPayloadType
        self.makeEncoder = makeEncoder
        self.makePacketizer = makePacketizer
        self.depacketizer = depacketizer
        self.makeDecoder = makeDecoder
    }

    /// True if a negotiated codec (the peer's spelling) is this one: RTP encoding names
    /// compare case-insensitively (RFC 8866 §6.6), and the clock rate must agree.
    public func matches(name: String, clockRate: Int) -> Bool {
        codec.name.lowercased() == name.lowercased() && codec.clockRate == clockRate
    }
}
