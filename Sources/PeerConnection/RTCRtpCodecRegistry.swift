import RTP
import SDP

/// The codecs Tincan negotiates, encodes and decodes, in preference order: the only list
/// of them (pion's MediaEngine). Offers and answers list a kind's registered codecs (and
/// their RTX); a negotiated stream finds its encoder, packetizer, depacketizer and decoder
/// here (`codec(for:)`). The rtcp-fb and extmap URIs come from the transport pipeline's
/// installed stages (`stages`), not from here, so the SDP announces only what runs.
public struct RTCRtpCodecRegistry: Sendable {
    public private(set) var codecs: [RTCRtpCodecRegistration]
    /// The pipeline before negotiation: what its stages implement is what the offer and the
    /// answer advertise; negotiation then removes the stages the peer did not accept
    /// (`SessionNegotiation.pipeline`).
    public var stages: RTPTransportConfiguration
    /// Our `a=extmap` ids (the one-byte form, 1-14): mid for BUNDLE, then the stages' URIs.
    /// A URI no installed stage uses is not offered.
    public var headerExtensionIDs: [(uri: String, id: Int)]

    public init(codecs: [RTCRtpCodecRegistration] = [],
                stages: RTPTransportConfiguration = RTPTransportConfiguration(rtcpSSRC: 0),
                headerExtensionIDs: [(uri: String, id: Int)] = RTCRtpCodecRegistry.defaultHeaderExtensionIDs) {
        self.codecs = codecs
        self.stages = stages
        self.headerExtensionIDs = headerExtensionIDs
    }

    public static let defaultHeaderExtensionIDs: [(uri: String, id: Int)] = [
        (RTPHeaderExtensionURI.mid, 1),
        (RTPHeaderExtensionURI.absSendTime, 2),
        (RTPHeaderExtensionURI.transportSequenceNumber, 3),
    ]

    /// Adds a codec after those registered (preferred less); its payload types must not be
    /// taken by another entry.
    public mutating func register(_ codec: RTCRtpCodecRegistration) { codecs.append(codec) }

    /// The registration of a negotiated stream's codec.
    public func codec(for parameters: RTPStreamParameters) -> RTCRtpCodecRegistration? {
        codecs.first { $0.kind == parameters.kind && $0.matches(name: parameters.codecName, clockRate: Int(parameters.clockRate)) }
    }

    /// The stages' `a=rtcp-fb` values for a section of `kind`.
    public func feedback(for kind: RTPMediaKind) -> [RTCPFeedback] {
        stages.features(for: kind).rtcpFeedback.compactMap { try? RTCPFeedback(parsing: $0) }  // our own strings
    }

    /// mid, then the extmap URIs the stages read or write, with our ids.
    public func headerExtensions(for kind: RTPMediaKind) -> [ExtMap] {
        let uris = [RTPHeaderExtensionURI.mid] + stages.features(for: kind).headerExtensions
        return headerExtensionIDs.filter { uris.contains($0.uri) }.map { ExtMap(id: $0.id, uri: $0.uri) }
    }

    /// What we offer or answer with for a section of `kind`: the registered codecs (each
    /// with the stages' feedback) and their RTX, the stages' extensions. A video section we
    /// receive on carries `b=AS`/`b=TIAS` for `receiveBitrate` when the user set one, so the
    /// peer's sender keeps under it (RFC 8829 §5.10); audio sections carry none: Opus is
    /// small beside it.
    public func capabilities(for kind: RTPMediaKind, direction: MediaDirection, receiveBitrate: UInt64? = nil) -> MediaCapabilities {
        let stageFeedback = feedback(for: kind)
        var codecs: [RTPCodec] = []
        for registration in self.codecs where registration.kind == kind {
            var codec = registration.codec
            for f in stageFeedback where !codec.feedback.contains(f) { codec.feedback.append(f) }
            codecs.append(codec)
            if let rtx = registration.rtxPayloadType {
                codecs.append(.rtx(payloadType: rtx, for: codec.payloadType, clockRate: codec.clockRate))
            }
        }
        var c = MediaCapabilities(kind: kind.sdp, codecs: codecs, headerExtensions: headerExtensions(for: kind), direction: direction)
        if kind == .video, let receiveBitrate, direction.receives {
            c.bandwidths = Bandwidth.limit(payloadBitrate: Int(clamping: receiveBitrate))
        }
        return c
    }
}
