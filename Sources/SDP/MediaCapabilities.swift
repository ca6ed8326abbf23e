/// What the local side can do with one kind of media: the input to answering an offer
/// (RFC 3264 §6.1, RFC 8829 §5.3.1) and to writing one. Tincan's own come from its codec
/// registry (`PeerConnection.RTCRtpCodecRegistry`); this module only knows the shape.
public struct MediaCapabilities: Sendable, Equatable {
    public var kind: MediaKind
    /// Codecs in local preference order, with local payload types, the fmtp parameters the
    /// local side wants to receive with, and the rtcp-fb it supports. RTX entries point at
    /// their primary with `apt` (local payload types).
    public var codecs: [RTPCodec]
    /// Header extensions supported (URIs matter; ids are the ones used in a local offer).
    public var headerExtensions: [ExtMap]
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

    public init(kind: MediaKind, codecs: [RTPCodec], headerExtensions: [ExtMap] = [],
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
}
