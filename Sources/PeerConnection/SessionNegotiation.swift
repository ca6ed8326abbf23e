import RTP
import SDP

/// Where the peer connection meets the SDP module: what we offer and answer with (from the
/// codec registry), the sources we announce, and the stream parameters a negotiated
/// m-section gives us.
enum SessionNegotiation {
    /// `a=ssrc`, `a=ssrc-group:FID` and `a=msid` for a section we send on (RFC 5576, RFC 8830).
    static func describeSources(_ section: inout MediaDescription, of t: Transceiver, cname: String) {
        guard let track = t.sender?.track, section.direction.sends else { return }
        let msid = MediaStreamID(streamID: t.streamId, trackID: track.id)
        section.msid = msid
        let hasRTX = section.codecs.contains { $0.isRetransmission }
        var sources = [SSRCDescription(ssrc: t.ssrc, cname: cname)]
        if hasRTX {
            sources.append(SSRCDescription(ssrc: t.rtxSSRC, cname: cname))
            section.ssrcGroups = [SSRCGroup(semantics: "FID", ssrcs: [t.ssrc, t.rtxSSRC])]
        }
        for i in sources.indices { sources[i].attributes.append(SDPAttribute("msid", "\(t.streamId) \(track.id)")) }
        section.ssrcs = sources
    }

    /// The peer's ICE and DTLS parameters, from its first bundled (or first accepted) section.
    struct RemoteTransport: Sendable {
        var ufrag: String
        var pwd: String
        var fingerprint: String
        var candidates: [String]
        var endOfCandidates: Bool
    }

    static func remoteTransport(_ d: SessionDescription) throws(RTCError) -> RemoteTransport {
        let index = d.bundleGroup?.first.flatMap { d.mediaIndex(mid: $0) } ?? d.media.firstIndex { !$0.isRejected } ?? 0
        let t = d.transport(forMediaAt: index)
        guard let ufrag = t.iceUfrag, let pwd = t.icePwd else {
            throw RTCError(.invalidAccessError, "the remote SDP has no a=ice-ufrag/a=ice-pwd")
        }
        guard ufrag.count >= 4, pwd.count >= 22 else {
            throw RTCError(.invalidAccessError, "ice-ufrag must have at least 4 and ice-pwd 22 characters (RFC 8839 §5.4)")
        }
        guard let fingerprint = t.fingerprints.first(where: { $0.hashFunction.lowercased() == "sha-256" }) ?? t.fingerprints.first else {
            throw RTCError(.invalidAccessError, "the remote SDP has no a=fingerprint: DTLS-SRTP cannot be authenticated")
        }
        // Only the bundle-tag section's candidates: under BUNDLE the others' transports
        // (Chromium's balanced policy gathers per m-line) are never used.
        return RemoteTransport(ufrag: ufrag, pwd: pwd, fingerprint: fingerprint.sdpValue, candidates: t.candidates,
                               endOfCandidates: t.endOfCandidates)
    }

    /// The parameters of one direction of a negotiated section: the codec to use (the first
    /// the answer accepted), its RTX, the common feedback and the extension ids.
    static func parameters(_ n: NegotiatedMedia, ssrc: UInt32, rtxSSRC: UInt32?, cname: String) -> RTPStreamParameters? {
        guard !n.isRejected, let kind = RTPMediaKind(n.kind), let codec = n.preferredCodec,
              let pt = UInt8(exactly: codec.payloadType) else { return nil }
        var p = RTPStreamParameters(kind: kind, mid: n.mid, ssrc: ssrc, payloadType: pt, codecName: codec.name,
                                    clockRate: UInt32(clamping: codec.clockRate), channels: codec.channels ?? 1)
        p.nack = codec.feedback.contains(.nack)
        p.pli = codec.feedback.contains(.pli)
        p.fir = codec.feedback.contains(.fir)
        p.remb = codec.feedback.contains(.remb)
        p.transportCC = codec.feedback.contains(.transportCC)
        if p.nack, let rtx = n.retransmissionPayloadType(for: codec.payloadType), let rtxPT = UInt8(exactly: rtx) {
            p.rtxPayloadType = rtxPT
            p.rtxSSRC = rtxSSRC
        }
        var extmap: [(id: UInt8, uri: String)] = []
        for e in n.headerExtensions {
            if let id = UInt8(exactly: e.id), (1...14).contains(id) { extmap.append((id, e.uri)) }
        }
        p.extensions = RTP.RTPHeaderExtensionMap(extmap: extmap)
        p.reducedSizeRTCP = n.rtcpReducedSize
        p.cname = cname
        p.remoteMaximumBitrate = n.remoteMaximumBitrate
        p.opusInbandFEC = kind == .audio && n.remoteParameters(for: codec.payloadType)?["useinbandfec"] == "1"
        return p
    }

    /// The peer's primary and RTX SSRC for a section it sends on (nil: learned from packets).
    static func remoteSources(_ n: NegotiatedMedia) -> (ssrc: UInt32?, rtx: UInt32?) {
        if let fid = n.remoteSSRCGroups.first(where: { $0.semantics == "FID" && $0.ssrcs.count >= 2 }) {
            return (fid.ssrcs[0], fid.ssrcs[1])
        }
        return (n.remoteSSRCs.first?.ssrc, nil)
    }

    /// The pipeline for the negotiated streams: the stages the peer accepted, the extension
    /// ids it agreed to, our REMB capped at `receiveBitrate` (2.5 Mbit/s when unset).
    static func pipeline(_ stages: RTPTransportConfiguration, streams: [RTPStreamParameters], receiving: RTPStreamParameters?,
                         rtcpSSRC: UInt32, receiveBitrate: UInt64?, ntpTimeAtZero: UInt64) -> RTPTransportConfiguration {
        var c = stages
        c.rtcpSSRC = rtcpSSRC
        c.ntpTimeAtZero = ntpTimeAtZero
        c.receiveExtensions = receiving?.extensions ?? streams.first?.extensions ?? RTP.RTPHeaderExtensionMap()
        c.initialTransportSequenceNumber = .random(in: 0 ... .max)
        if !streams.contains(where: \.nack) { c.nackResponder = nil }
        if !streams.contains(where: { $0.pli || $0.fir }) { c.keyframeRequests = nil }
        c.remb = streams.contains(where: \.remb)
            ? REMBStage.Configuration(maximumBitrate: Int(clamping: receiveBitrate ?? 2_500_000)) : nil
        c.transportWideCongestionControl = streams.contains { $0.transportCC && $0.extensions.transportSequenceNumber != nil }
        if c.transportWideCongestionControl {
            // The sender estimates from our transport-cc feedback; a receive-side REMB beside
            // it would only cap that with a coarser guess (libwebrtc sends none then either).
            c.receiveExtensions.absSendTime = nil
        }
        return c
    }
}
