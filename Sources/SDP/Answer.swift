/// Answering a remote offer (RFC 3264 §6, RFC 8829 §5.3.1).
extension MediaDescription {
    /// This offered section answered with `capabilities` (nil: the kind is not supported).
    ///
    /// Codecs: those of the offer that match a local one (`RTPCodec.isCompatible`), with the
    /// offerer's payload types in the offerer's order, the local fmtp parameters and the
    /// rtcp-fb both list; RTX only for a kept primary (and only if the local side has RTX for
    /// the matching local codec), RED only when what it carries is kept. Header extensions:
    /// the offered ones the local side knows, with the offerer's ids. Direction: RFC 3264
    /// §6.1 from `offeredDirection` (default: this section's) and the local wish.
    /// The section is rejected (port 0) when the kind, protocol or rtcp-mux does not suit,
    /// or no media codec is in common. Transport attributes are left to the caller (or to
    /// `SessionDescription.answer`).
    public func answer(with capabilities: MediaCapabilities?, offeredDirection: MediaDirection? = nil) -> MediaDescription {
        guard let capabilities, !isRejected, isRTP, capabilities.kind == kind,
              capabilities.protocols.contains(proto), rtcpMux || !capabilities.requiresRTCPMux else {
            return rejectedAnswer()
        }
        let offered = codecs
        // Media codecs first (not RTX/RED/FEC): offered payload type -> local codec.
        var matched: [Int: RTPCodec] = [:]
        for codec in offered where !codec.isRetransmission && !codec.isResilience {
            if let local = capabilities.codecs.first(where: { !$0.isRetransmission && $0.isCompatible(with: codec) }) {
                matched[codec.payloadType] = local
            }
        }
        guard !matched.isEmpty else { return rejectedAnswer() }
        var answered: [RTPCodec] = []
        for codec in offered {
            if let local = matched[codec.payloadType] {
                answered.append(RTPCodec(payloadType: codec.payloadType, name: codec.name, clockRate: codec.clockRate,
                                         channels: codec.channels, parameters: local.parameters,
                                         feedback: codec.feedback(commonWith: local)))
            } else if codec.isRetransmission {
                guard let apt = codec.apt, let primary = matched[apt],
                      let localRTX = capabilities.codecs.first(where: {
                          $0.isRetransmission && $0.apt == primary.payloadType && $0.clockRate == codec.clockRate
                      }) else { continue }
                var parameters = localRTX.parameters
                parameters["apt"] = String(apt)
                answered.append(RTPCodec(payloadType: codec.payloadType, name: codec.name, clockRate: codec.clockRate,
                                         parameters: parameters, feedback: codec.feedback(commonWith: localRTX)))
            } else if codec.isResilience {
                guard let local = capabilities.codecs.first(where: { $0.isCompatible(with: codec) }) else { continue }
                if let carried = codec.redundantPayloadTypes, !carried.allSatisfy({ matched[$0] != nil }) { continue }
                // RED's fmtp names the offerer's payload types: keep the offered text.
                let parameters = codec.redundantPayloadTypes == nil ? local.parameters : codec.parameters
                answered.append(RTPCodec(payloadType: codec.payloadType, name: codec.name, clockRate: codec.clockRate,
                                         channels: codec.channels, parameters: parameters,
                                         feedback: codec.feedback(commonWith: local)))
            }
        }

        var answer = MediaDescription(kind: kind, port: 9, proto: proto)
        answer.mid = mid
        answer.headerExtensions = headerExtensions.compactMap { offered in
            guard capabilities.headerExtensions.contains(where: { $0.uri == offered.uri }) else { return nil }
            // RFC 8285 §7: what is offered sendonly is answered recvonly, and so on.
            return ExtMap(id: offered.id, uri: offered.uri,
                                         direction: offered.direction?.answer(wantsToSend: true, wantsToReceive: true))
        }
        answer.direction = (offeredDirection ?? direction).answer(
            wantsToSend: capabilities.direction.sends, wantsToReceive: capabilities.direction.receives)
        answer.rtcpMux = rtcpMux
        answer.rtcpReducedSize = rtcpReducedSize && capabilities.rtcpReducedSize
        answer.codecs = answered
        answer.bandwidths = capabilities.bandwidths
        return answer
    }

    /// The answer that refuses this section (RFC 3264 §6: port 0, same media and formats;
    /// RFC 8843 §7.3.3 keeps the mid, outside the BUNDLE group).
    public func rejectedAnswer() -> MediaDescription {
        var answer = MediaDescription(kind: kind, port: 0, proto: proto, formats: formats)
        answer.mid = mid
        return answer
    }
}

extension SessionDescription {
    /// The answer to this offer, each section answered with the first capabilities of its
    /// kind (see `MediaDescription.answer(with:offeredDirection:)`).
    public func answer(capabilities: [MediaCapabilities], transport: LocalTransport,
                       origin: Origin = Origin(sessionID: "0")) -> SessionDescription {
        answer(transport: transport, origin: origin) { _, offered in
            capabilities.first { $0.kind == offered.kind }
        }
    }

    /// The answer to this offer (RFC 8829 §5.3.1), with the capabilities chosen per section
    /// (index, offered section) by the caller: nil rejects it.
    ///
    /// Accepted sections carry the local ICE credentials, fingerprints and setup role (the
    /// reply to the offered one: actpass is answered active); the BUNDLE group lists the
    /// offered group's accepted mids (RFC 9143 §7.3); the candidates go in the first
    /// bundled section; `a=extmap-allow-mixed` is echoed when offered.
    public func answer(transport: LocalTransport, origin: Origin = Origin(sessionID: "0"),
                       capabilities: (Int, MediaDescription) -> MediaCapabilities?) -> SessionDescription {
        var answer = SessionDescription(origin: origin)
        var allowMixed = false
        for (index, offered) in media.enumerated() {
            var section = offered.answer(with: capabilities(index, offered), offeredDirection: direction(forMediaAt: index))
            if !section.isRejected {
                let setup = transport.setup ?? (self.transport(forMediaAt: index).setup?.answer ?? .passive)
                section.apply(transport, setup: setup)
                allowMixed = allowMixed || extmapAllowMixed(forMediaAt: index)
            }
            answer.media.append(section)
        }
        let accepted = answer.media.filter { !$0.isRejected }.compactMap(\.mid)
        if let offeredBundle = bundleGroup {
            let bundled = offeredBundle.filter { accepted.contains($0) }
            if !bundled.isEmpty { answer.bundleGroup = bundled }
        }
        answer.extmapAllowMixed = allowMixed
        if let tag = answer.bundleGroup?.first, let index = answer.mediaIndex(mid: tag) {
            answer.media[index].addCandidates(of: transport)
        } else {
            for index in answer.media.indices where !answer.media[index].isRejected {
                answer.media[index].addCandidates(of: transport)
            }
        }
        return answer
    }
}
