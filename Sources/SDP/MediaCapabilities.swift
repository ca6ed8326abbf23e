/// What the local side can do with one kind of media: the input to answering an offer
/// (RFC 3264 §6.1, RFC 8829 §5.3.1) and to writing one.
public struct MediaCapabilities: Sendable, Equatable {
    public var kind: MediaKind
    /// Codecs in local preference order, with local payload types, the fmtp parameters the
    /// local side wants to receive with, and the rtcp-fb it supports. RTX entries point at
    /// their primary with `apt` (local payload types).
    public var codecs: [RTPCodec]
    /// Header extensions supported (URIs matter; ids are the ones used in a local offer).
    public var headerExtensions: [RTPHeaderExtensionMap]
    /// What the local side wants: to send, receive, both or neither.
    public var direction: MediaDirection
    /// Accept `a=rtcp-rsize` (RFC 5506) when offered.
    public var rtcpReducedSize: Bool
    /// Refuse a section that does not offer `a=rtcp-mux` (Tincan sends RTP and RTCP on one
    /// port; Chromium and aiortc require it anyway).
    public var requiresRTCPMux: Bool
    /// Transport protocols accepted in the `m=` line.
    public var protocols: Set<String>
    /// `b=` lines for the section (what the local side wants to receive at most, e.g.
    /// `Bandwidth.limit(payloadBitrate:)`): written in offers and non-rejected answers.
    public var bandwidths: [Bandwidth] = []

    public init(kind: MediaKind, codecs: [RTPCodec], headerExtensions: [RTPHeaderExtensionMap] = [],
                direction: MediaDirection = .sendrecv, rtcpReducedSize: Bool = true,
                requiresRTCPMux: Bool = true, protocols: Set<String> = MediaCapabilities.secureRTPProtocols) {
        self.kind = kind
        self.codecs = codecs
        self.headerExtensions = headerExtensions
        self.direction = direction
        self.rtcpReducedSize = rtcpReducedSize
        self.requiresRTCPMux = requiresRTCPMux
        self.protocols = protocols
    }

    /// DTLS-SRTP profiles (RFC 5764 §8, RFC 8829 §5.1.2).
    public static let secureRTPProtocols: Set<String> = ["UDP/TLS/RTP/SAVPF", "UDP/TLS/RTP/SAVP", "TCP/DTLS/RTP/SAVPF", "TCP/DTLS/RTP/SAVP"]

    /// The feedback Tincan's video pipeline handles: NACK, PLI, FIR, REMB, transport-cc.
    public static let videoFeedback: [RTCPFeedback] = [.remb, .transportCC, .fir, .nack, .pli]

    /// Tincan's video: VP8 (RFC 7741) on 96 with RTX (RFC 4588) on 97.
    public static func tincanVideo(direction: MediaDirection = .sendrecv) -> MediaCapabilities {
        MediaCapabilities(
            kind: .video,
            codecs: [
                RTPCodec(payloadType: 96, name: "VP8", clockRate: 90000, feedback: videoFeedback),
                .rtx(payloadType: 97, for: 96),
            ],
            headerExtensions: [
                RTPHeaderExtensionMap(id: 2, uri: RTPHeaderExtensionMap.absSendTime),
                RTPHeaderExtensionMap(id: 3, uri: RTPHeaderExtensionMap.transportWideCC),
                RTPHeaderExtensionMap(id: 4, uri: RTPHeaderExtensionMap.sdesMid),
            ],
            direction: direction)
    }

    /// Tincan's audio: Opus (RFC 7587) on 111, written `opus/48000/2` as Chromium requires.
    public static func tincanAudio(direction: MediaDirection = .sendrecv) -> MediaCapabilities {
        MediaCapabilities(
            kind: .audio,
            codecs: [
                RTPCodec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2,
                         parameters: FormatParameters([("minptime", "10"), ("useinbandfec", "1")]),
                         feedback: [.transportCC]),
            ],
            headerExtensions: [
                RTPHeaderExtensionMap(id: 1, uri: RTPHeaderExtensionMap.audioLevel),
                RTPHeaderExtensionMap(id: 2, uri: RTPHeaderExtensionMap.absSendTime),
                RTPHeaderExtensionMap(id: 3, uri: RTPHeaderExtensionMap.transportWideCC),
                RTPHeaderExtensionMap(id: 4, uri: RTPHeaderExtensionMap.sdesMid),
            ],
            direction: direction)
    }
}
