import RTP

/// What negotiation settled for one RTP stream in one direction (the parts of an
/// m-section an `RTCRtpSender` or `RTCRtpReceiver` needs): JSEP's result, SDP-free.
public struct RTPStreamParameters: Sendable, Equatable {
    public var kind: RTPMediaKind
    public var mid: String?
    public var ssrc: UInt32
    public var payloadType: UInt8
    /// The negotiated codec's name as the SDP wrote it ("VP8", "opus"): with the clock rate,
    /// what finds its registration (`RTCRtpCodecRegistry.codec(for:)`).
    public var codecName: String
    public var clockRate: UInt32
    public var channels: Int
    /// RFC 4588 retransmission, when both sides accepted `rtx` for the codec.
    public var rtxSSRC: UInt32?
    public var rtxPayloadType: UInt8?
    /// `a=rtcp-fb` the peer accepted.
    public var nack = false
    public var pli = false
    public var fir = false
    public var remb = false
    public var transportCC = false
    public var reducedSizeRTCP = false
    public var extensions = RTPHeaderExtensionMap()
    public var cname = "tincan"
    /// The most RTP payload the peer lets us send in this section, bit/s (its `b=TIAS` or
    /// `b=AS`, RFC 8829 §5.10); nil: no limit from the peer.
    public var remoteMaximumBitrate: Int?
    /// Opus: the peer's decoder uses in-band FEC (its fmtp `useinbandfec=1`, RFC 7587 §6.1),
    /// so sending it is worth the bits.
    public var opusInbandFEC = false

    public init(kind: RTPMediaKind, mid: String?, ssrc: UInt32, payloadType: UInt8, codecName: String,
                clockRate: UInt32, channels: Int = 1) {
        self.kind = kind
        self.mid = mid
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.codecName = codecName
        self.clockRate = clockRate
        self.channels = channels
    }
}
