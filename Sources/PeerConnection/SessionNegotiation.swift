import RTP
import SDP

/// Where the peer connection meets the SDP module: what we offer and answer with, the
/// sources we announce, and the stream parameters a negotiated m-section gives us.
enum SessionNegotiation {
    /// The transport pipeline we run, before negotiation: what its stages implement is what
    /// the offer and answer advertise (`RTPTransportConfiguration.features(for:)`), so the
    /// SDP cannot announce feedback nothing answers. Negotiation then removes the stages the
    /// peer did not accept (`pipeline(...)`).
    static let stages = RTPTransportConfiguration(rtcpSSRC: 0)

    /// Our `a=extmap` ids (the one-byte form, 1-14): mid for BUNDLE, then the stages' URIs.
    static let extensionIDs: [(uri: String, id: Int)] = [
        (RTPHeaderExtensionURI.mid, 1),
        (RTPHeaderExtensionURI.absSendTime, 2),
        (RTPHeaderExtensionURI.transportSequenceNumber, 3),
    ]

    static func feedback(for kind: RTPMediaKind) -> [RTCPFeedback] {
        stages.features(for: kind).rtcpFeedback.compactMap { try? RTCPFeedback(parsing: $0) }  // our own strings
    }

    static func headerExtensions(for kind: RTPMediaKind) -> [SDP.RTPHeaderExtensionMap] {
        let uris = [RTPHeaderExtensionURI.mid] + stages.features(for: kind).headerExtensions
        return extensionIDs.filter { uris.contains($0.uri) }.map { SDP.RTPHeaderExtensionMap(id: $0.id, uri: $0.uri) }
    }

    /// What we offer or answer with. A video section we receive on carries `b=AS`/`b=TIAS`
    /// for `receiveBitrate` when the user set one (RTCConfiguration), so the peer's sender
    /// keeps under it (RFC 8829 §5.10); audio sections carry none: Opus is small beside it.
    static func capabilities(for kind: RTPStreamParameters.Kind, direction: RTCRtpTransceiverDirection,
                             receiveBitrate: UInt64? = nil) -> MediaCapabilities {
        switch kind {
        case .video:
            var c = MediaCapabilities(kind: .video, codecs: [
                RTPCodec(payloadType: 96, name: "VP8", clockRate: 90000, feedback: feedback(for: .video)),
                .rtx(payloadType: 97, for: 96),
            ], headerExtensions: headerExtensions(for: .video), direction: direction)
            if let receiveBitrate, direction.receives { c.bandwidths = Bandwidth.limit(payloadBitrate: Int(clamping: receiveBitrate)) }
            return c
        case .audio:
            // Chromium accepts Opus only written exactly `opus/48000/2` (docs/interop.md).
            return MediaCapabilities(kind: .audio, codecs: [
                RTPCodec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2,
                         parameters: FormatParameters([("minptime", "10"), ("useinbandfec", "1")]),
                         feedback: feedback(for: .audio)),
            ], headerExtensions: headerExtensions(for: .audio), direction: direction)
        }
    }

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

    static func kind(of section: MediaKind) -> RTPStreamParameters.Kind? {
        switch section {
        case .audio: .audio
        case .video: .video
        default: nil
        }
    }

    /// The parameters of one direction of a negotiated section: the codec to use (the first
    /// the answer accepted), its RTX, the common feedback and the extension ids.
    static func parameters(_ n: NegotiatedMedia, ssrc: UInt32, rtxSSRC: UInt32?, cname: String) -> RTPStreamParameters? {
        guard !n.isRejected, let kind = kind(of: n.kind), let codec = n.preferredCodec,
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
    static func pipeline(streams: [RTPStreamParameters], receiving: RTPStreamParameters?, rtcpSSRC: UInt32,
                         receiveBitrate: UInt64?, ntpTimeAtZero: UInt64) -> RTPTransportConfiguration {
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
