import RTP

/// JSEP's media negotiation for one m-section (RFC 8829 §5.3.1, RFC 3264 §6.1): the codec is
/// the first of the remote list that we support (its order is its preference), RTX rides
/// along only when offered for that codec, and feedback and header extensions are what both
/// sides listed, with the remote side's ids.
enum Negotiation {
    struct Match: Sendable {
        var codec: RemoteDescription.Codec
        var rtxPayloadType: UInt8?
        var feedback: Set<String>
        var extensions: [(id: UInt8, uri: String)]
    }

    static func kind(of section: RemoteDescription.Section) -> RTPStreamParameters.Kind? {
        switch section.kind {
        case "audio": .audio
        case "video": .video
        default: nil
        }
    }

    static func match(_ section: RemoteDescription.Section) -> Match? {
        guard !section.rejected, let kind = kind(of: section) else { return nil }
        let ours = MediaCapabilities.codec(for: kind)
        guard let codec = section.codecs.first(where: {
            $0.name.lowercased() == ours.name.lowercased() && $0.clockRate == ours.clockRate
        }) else { return nil }
        let rtx = ours.rtxPayloadType == nil ? nil : section.codecs.first {
            $0.name.lowercased() == "rtx" && $0.apt == codec.payloadType
        }
        let feedback = Set(codec.feedback).intersection(ours.feedback)
        let extensions = section.extensions.filter { e in MediaCapabilities.extensions.contains { $0.uri == e.uri } }
        return Match(codec: codec, rtxPayloadType: rtx?.payloadType, feedback: feedback, extensions: extensions)
    }

    /// The parameters of one direction of the negotiated stream.
    static func parameters(_ match: Match, kind: RTPStreamParameters.Kind, mid: String?, ssrc: UInt32,
                           rtxSSRC: UInt32?, cname: String, reducedSize: Bool) -> RTPStreamParameters {
        var p = RTPStreamParameters(kind: kind, mid: mid, ssrc: ssrc, payloadType: match.codec.payloadType,
                                    codecName: match.codec.name, clockRate: match.codec.clockRate,
                                    channels: match.codec.channels ?? 1)
        p.nack = match.feedback.contains("nack")
        p.pli = match.feedback.contains("nack pli")
        p.fir = match.feedback.contains("ccm fir")
        p.remb = match.feedback.contains("goog-remb")
        if p.nack, let rtxPT = match.rtxPayloadType {
            p.rtxPayloadType = rtxPT
            p.rtxSSRC = rtxSSRC
        }
        p.extensions = RTPHeaderExtensionMap(extmap: match.extensions)
        p.reducedSizeRTCP = reducedSize
        p.cname = cname
        return p
    }
}
