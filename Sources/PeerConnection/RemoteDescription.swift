import SDP

/// The parts of a peer's SDP that the peer connection acts on, read once through the SDP
/// module; transport attributes fall back from the first m-section to the session level.
struct RemoteDescription: Sendable {
    struct Codec: Sendable {
        var payloadType: UInt8
        var name: String
        var clockRate: UInt32
        var channels: Int?
        var feedback: [String]
        var apt: UInt8?
    }

    struct Section: Sendable {
        var kind: String
        var mid: String?
        var rejected: Bool
        /// The direction as the peer wrote it (its own point of view).
        var direction: RTCRtpTransceiverDirection
        var codecs: [Codec]
        var extensions: [(id: UInt8, uri: String)]
        var ssrc: UInt32?
        var rtxSSRC: UInt32?
        var trackId: String?
        var reducedSizeRTCP: Bool
        var rtcpMux: Bool
    }

    var sections: [Section]
    var ufrag: String
    var pwd: String
    /// `a=fingerprint` value, e.g. "sha-256 AB:CD:...".
    var fingerprint: String
    var setup: String
    var candidates: [String]
    var endOfCandidates: Bool
    var bundle: [String]?

    init(sdp text: String) throws(RTCError) {
        let d: SessionDescription
        do { d = try SessionDescription(parsing: text) } catch { throw RTCError(.syntaxError, "the remote SDP does not parse: \(error)") }
        // With BUNDLE every m-section shares the first one's transport (RFC 9143 §7.1).
        let transportIndex = d.media.firstIndex { !$0.isRejected } ?? 0
        guard let credentials = d.iceCredentials(for: transportIndex) else {
            throw RTCError(.invalidAccessError, "the remote SDP has no a=ice-ufrag/a=ice-pwd")
        }
        guard let fingerprint = d.fingerprint(for: transportIndex) else {
            throw RTCError(.invalidAccessError, "the remote SDP has no a=fingerprint: DTLS-SRTP cannot be authenticated")
        }
        ufrag = credentials.ufrag
        pwd = credentials.pwd
        self.fingerprint = fingerprint.description
        setup = d.setupRole(for: transportIndex)?.rawValue ?? "actpass"
        bundle = d.bundleGroup
        var candidates: [String] = []
        var end = false
        for m in d.media where !m.isRejected {
            for c in m.candidates where !candidates.contains(c) { candidates.append(c) }
            end = end || m.endOfCandidates
        }
        self.candidates = candidates
        endOfCandidates = end
        sections = d.media.map { m in
            let fid = m.ssrcGroups.first { $0.semantics == "FID" }
            let primary = fid?.ssrcs.first ?? m.ssrcs.first
            return Section(
                kind: m.media, mid: m.mid, rejected: m.isRejected,
                direction: RTCRtpTransceiverDirection(rawValue: m.direction.rawValue) ?? .sendrecv,
                codecs: m.codecs.compactMap { c in
                    guard let pt = UInt8(exactly: c.payloadType) else { return nil }
                    return Codec(payloadType: pt, name: c.name, clockRate: UInt32(clamping: c.clockRate), channels: c.channels,
                                 feedback: c.feedback, apt: c.associatedPayloadType.flatMap { UInt8(exactly: $0) })
                },
                extensions: m.extensions.compactMap { e in UInt8(exactly: e.id).map { ($0, e.uri) } },
                ssrc: primary, rtxSSRC: fid.flatMap { $0.ssrcs.count > 1 ? $0.ssrcs[1] : nil },
                trackId: m.msid?.track, reducedSizeRTCP: m.rtcpReducedSize, rtcpMux: m.rtcpMux)
        }
    }
}
