import RTP
import SDP

/// Where the peer connection meets the SDP module: what we offer and answer with (from the
/// codec registry), the sources we announce, and the stream parameters a negotiated
/// m-section gives us.
enum SessionNegotiation {
    /// The offer for the transceivers (RFC 8829 §5.2.1, §5.2.2): one section per transceiver
    /// in order, each under its mid (new transceivers get the lowest unused number); a
    /// stopped transceiver keeps its section, refused, and one never offered is dropped.
    static func offer(for transceivers: inout [Transceiver], transport: LocalTransport, origin: Origin,
                      capabilities: (Transceiver) -> MediaCapabilities) -> SessionDescription {
        transceivers.removeAll { $0.stopped && $0.mid == nil }
        var used = Set(transceivers.compactMap(\.mid))
        var next = 0
        var sections: [SessionDescription.OfferedSection] = []
        for i in transceivers.indices {
            let mid: String
            if let existing = transceivers[i].mid { mid = existing } else {
                while used.contains(String(next)) { next += 1 }
                mid = String(next)
                used.insert(mid)
                transceivers[i].mid = mid
            }
            sections.append(.init(mid: mid, capabilities: capabilities(transceivers[i]), isStopped: transceivers[i].stopped))
        }
        return SessionDescription.offer(sections: sections, transport: transport, origin: origin)
    }

    /// The transceivers in the order of a remote offer's sections (JSEP §5.10): a section
    /// goes to the transceiver of its mid, a new one to an unassociated transceiver of its
    /// kind (made by addTrack before the offer came) or to a new recvonly one; a refused
    /// section stops its transceiver. Unassociated transceivers follow, for a later offer.
    static func associate(_ transceivers: [Transceiver], with offer: SessionDescription) throws(RTCError) -> [Transceiver] {
        var rest = transceivers
        var ordered: [Transceiver] = []
        var mids = Set<String>()
        for (i, m) in offer.media.enumerated() {
            let mid = m.mid ?? String(i)
            guard mids.insert(mid).inserted else { throw RTCError(.invalidAccessError, "the remote offer has mid \(mid) twice") }
            let kind = RTPMediaKind(m.kind)
            if let j = rest.firstIndex(where: { $0.mid == mid }) {
                var t = rest.remove(at: j)
                guard kind == t.kind || m.isRejected else {
                    throw RTCError(.invalidAccessError, "the remote offer changes the kind of mid \(mid) (RFC 8829 §5.2.2 keeps it)")
                }
                if m.isRejected { t.stopped = true }
                ordered.append(t)
            } else if let kind, !m.isRejected, let j = rest.firstIndex(where: { $0.mid == nil && $0.kind == kind && !$0.stopped }) {
                var t = rest.remove(at: j)
                t.mid = mid
                ordered.append(t)
            } else {
                var t = Transceiver(kind: kind ?? .audio, direction: .recvonly, streamId: "tincan")
                t.mid = mid
                t.stopped = kind == nil || m.isRejected
                ordered.append(t)
            }
        }
        // Sections of ours the offer left out are gone (an offer must keep them: only a
        // stopped one is dropped here); transceivers never offered wait for our offer.
        return ordered + rest.filter { $0.mid == nil }
    }

    /// The transceivers as they were before the rolled-back offer: mids that offer gave and no
    /// exchange settled are cleared, and transceivers made since (by addTrack) are kept, with
    /// the tracks attached meanwhile.
    static func rolledBack(_ before: [Transceiver], current: [Transceiver], local: Bool) -> [Transceiver] {
        var restored = before
        for i in restored.indices where !restored[i].negotiated { restored[i].mid = nil }
        for t in current {
            if let i = restored.firstIndex(where: { $0.ssrc == t.ssrc }) {
                // A track attached after the offer (addTrack, removeTrack) stays as the user left it.
                restored[i].sender = t.sender
                restored[i].direction = t.direction
                restored[i].streamId = t.streamId
                restored[i].stopped = restored[i].stopped || (t.stopped && local)
            } else if local || t.sender != nil {
                // Made after our offer, or by theirs and given a track since.
                var kept = t
                if !kept.negotiated { kept.mid = nil }
                restored.append(kept)
            }
        }
        return restored
    }

    /// WebRTC 1.0 §4.7.3 "check if negotiation is needed", in short: a live transceiver
    /// without a section, a stopped one whose section is still live, or one whose section
    /// says another direction than it would now.
    static func isNegotiationNeeded(_ transceivers: [Transceiver], local: SessionDescription?, remote: SessionDescription?,
                                    isOfferer: Bool) -> Bool {
        for t in transceivers {
            guard let mid = t.mid, t.negotiated, let local, let index = local.mediaIndex(mid: mid) else {
                if !t.stopped { return true }
                continue
            }
            let section = local.media[index]
            if t.stopped { if !section.isRejected { return true }; continue }
            if section.isRejected { continue }  // refused by the peer: nothing to ask again
            let written = local.direction(forMediaAt: index)
            if isOfferer {
                if written != t.direction { return true }
            } else if let remote, let r = remote.mediaIndex(mid: mid) {
                let offered = remote.direction(forMediaAt: r)
                let expected = MediaDirection(sends: t.direction.sends && offered.receives, receives: t.direction.receives && offered.sends)
                if written != expected { return true }
            }
        }
        return false
    }

    /// Candidates gathered after the description was made (trickle, RFC 8838 §4), into the
    /// section that carries them (the BUNDLE tag's, or the first live one); `endOfCandidates`
    /// when gathering is over (§8.2).
    static func addCandidates(_ lines: [String], endOfCandidates: Bool, to d: inout SessionDescription) {
        guard let index = d.bundleGroup?.first.flatMap({ d.mediaIndex(mid: $0) }) ?? d.media.firstIndex(where: { !$0.isRejected }) else { return }
        for line in lines where !d.media[index].candidates.contains(line) { d.media[index].candidates.append(line) }
        if endOfCandidates, !d.media[index].candidates.isEmpty { d.media[index].endOfCandidates = true }
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
