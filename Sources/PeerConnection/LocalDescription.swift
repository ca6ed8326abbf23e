import SDP

/// Writes our offers and answers with the SDP module, in the shape real peers accept
/// (notes/interop.md): BUNDLE, rtcp-mux, a mid on every m-line, a sha-256 fingerprint,
/// `setup:actpass` in offers, ice-ufrag/pwd of Chromium's lengths, candidates in every
/// bundled m-section followed by end-of-candidates (we gather before we describe).
struct LocalDescription {
    struct Section {
        var kind: RTPStreamParameters.Kind?
        /// For a rejected section of an unsupported kind: the remote's m-line to mirror.
        var rejectedMedia: (media: String, proto: String, formats: [String])?
        var mid: String
        var direction: RTCRtpTransceiverDirection
        /// Payload types to list (the offerer's in an answer) and what to say about them.
        var codec: MediaCapabilities.Codec
        var rtxPayloadType: UInt8?
        var feedback: [String]
        var extensions: [(id: UInt8, uri: String)]
        var ssrc: UInt32?
        var rtxSSRC: UInt32?
        var streamId: String
        var trackId: String?
        var rejected: Bool
    }

    var sessionId: UInt64
    var version: Int
    var ufrag: String
    var pwd: String
    /// "sha-256 AB:CD:...".
    var fingerprint: String
    var setup: String
    var candidates: [String]
    var cname: String
    var sections: [Section]

    var sdp: String {
        let bundled = sections.filter { !$0.rejected }.map(\.mid)
        var session = SessionDescription(origin: "- \(sessionId) \(version) IN IP4 127.0.0.1")
        if !bundled.isEmpty { session.attributes.append(SDPAttribute("group", (["BUNDLE"] + bundled).joined(separator: " "))) }
        session.attributes.append(SDPAttribute("msid-semantic", " WMS *"))
        for s in sections { session.media.append(section(s)) }
        return session.text
    }

    private func section(_ s: Section) -> MediaDescription {
        if s.rejected {
            // RFC 8829 §5.3.1: a rejected m-section keeps its kind and mid, port 0.
            let mirror = s.rejectedMedia ?? (s.kind?.rawValue ?? "application", "UDP/TLS/RTP/SAVPF", [String(s.codec.payloadType)])
            var m = MediaDescription(media: mirror.media, port: 0, proto: mirror.proto, formats: mirror.formats)
            m.attributes.append(SDPAttribute("mid", s.mid))
            m.attributes.append(SDPAttribute("inactive"))
            return m
        }
        var m = MediaDescription(media: s.kind?.rawValue ?? "application", port: 9, formats: [])
        m.attributes.append(SDPAttribute("rtcp", "9 IN IP4 0.0.0.0"))
        for c in candidates { m.attributes.append(SDPAttribute("candidate", c)) }
        if !candidates.isEmpty { m.attributes.append(SDPAttribute("end-of-candidates")) }
        m.attributes.append(SDPAttribute("ice-ufrag", ufrag))
        m.attributes.append(SDPAttribute("ice-pwd", pwd))
        m.attributes.append(SDPAttribute("ice-options", "trickle"))
        m.attributes.append(SDPAttribute("fingerprint", fingerprint))
        m.attributes.append(SDPAttribute("setup", setup))
        m.attributes.append(SDPAttribute("mid", s.mid))
        for e in s.extensions { m.attributes.append(SDPAttribute("extmap", "\(e.id) \(e.uri)")) }
        m.attributes.append(SDPAttribute(s.direction.rawValue))
        if s.direction.sends, let track = s.trackId { m.attributes.append(SDPAttribute("msid", "\(s.streamId) \(track)")) }
        m.attributes.append(SDPAttribute("rtcp-mux"))
        m.attributes.append(SDPAttribute("rtcp-rsize"))
        var codec = RTPCodec(payloadType: Int(s.codec.payloadType), name: s.codec.name, clockRate: Int(s.codec.clockRate),
                             channels: s.codec.channels, parameters: s.codec.parameters, feedback: s.feedback)
        if s.codec.channels == nil { codec.channels = nil }
        m.add(codec)
        if let rtx = s.rtxPayloadType {
            m.add(RTPCodec(payloadType: Int(rtx), name: "rtx", clockRate: Int(s.codec.clockRate),
                           parameters: [("apt", String(s.codec.payloadType))]))
        }
        if s.direction.sends, let ssrc = s.ssrc {
            if let rtx = s.rtxSSRC, s.rtxPayloadType != nil {
                m.attributes.append(SDPAttribute("ssrc-group", "FID \(ssrc) \(rtx)"))
            }
            for x in [ssrc] + (s.rtxPayloadType != nil ? [s.rtxSSRC].compactMap { $0 } : []) {
                m.attributes.append(SDPAttribute("ssrc", "\(x) cname:\(cname)"))
                if let track = s.trackId { m.attributes.append(SDPAttribute("ssrc", "\(x) msid:\(s.streamId) \(track)")) }
            }
        }
        return m
    }
}
