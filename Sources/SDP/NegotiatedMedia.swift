/// What one offer/answer exchange settled for one media section, seen from the local side:
/// what to send with, what the peer sends, which extensions and feedback apply
/// (RFC 3264 §6.1 and §7, RFC 8829 §5.10).
public struct NegotiatedMedia: Sendable, Equatable {
    public enum Role: Sendable, Equatable {
        /// We wrote the offer and received the answer.
        case offerer
        /// We received the offer and wrote the answer.
        case answerer
    }

    public var mid: String?
    public var kind: MediaKind
    /// Rejected by the answer (port 0): nothing flows.
    public var isRejected: Bool
    /// What the local side does: the answer's direction for the answerer, its reverse for
    /// the offerer.
    public var direction: MediaDirection
    /// The codecs to send with, in the answerer's order of preference, with the payload
    /// types of the answer, fmtp of the answer, and the rtcp-fb both sides listed. RTX
    /// entries (with `apt`) follow their primaries' acceptance.
    public var codecs: [RTPCodec]
    /// Header extensions both sides listed, with the answer's ids.
    public var headerExtensions: [ExtMap]
    public var rtcpMux: Bool
    public var rtcpReducedSize: Bool
    /// The local DTLS role: `.active` starts the handshake (DTLS client), `.passive` waits.
    public var localSetup: SetupRole
    /// What the peer said about its own sources (its section).
    public var remoteSSRCs: [SSRCDescription]
    public var remoteSSRCGroups: [SSRCGroup]
    public var remoteMsid: MediaStreamID?
    /// The peer's codecs as its own section lists them (its fmtp: what its decoder can do,
    /// e.g. Opus `useinbandfec`, RFC 7587 §6.1).
    public var remoteCodecs: [RTPCodec]
    /// The most RTP payload we may send in this section, bit/s, from the peer's `b=TIAS` or
    /// `b=AS` (`Bandwidth.maximumPayloadBitrate`); a session-level limit bounds every
    /// section too (RFC 8866 §5.8). Nil: the peer set none.
    public var remoteMaximumBitrate: Int?

    /// The payload types the answer accepted.
    public var acceptedPayloadTypes: [Int] { codecs.map(\.payloadType) }

    /// The first media codec: what to send with.
    public var preferredCodec: RTPCodec? { codecs.first { !$0.isRetransmission && !$0.isResilience } }

    /// The RTX payload type to retransmit `payloadType` with (RFC 4588 §8.1).
    public func retransmissionPayloadType(for payloadType: Int) -> Int? {
        codecs.first { $0.isRetransmission && $0.apt == payloadType }?.payloadType
    }

    /// The id of header extension `uri`, if negotiated.
    public func headerExtensionID(_ uri: String) -> Int? {
        headerExtensions.first { $0.uri == uri }?.id
    }

    /// The peer's fmtp for `payloadType` (the payload types of offer and answer agree).
    public func remoteParameters(for payloadType: Int) -> FormatParameters? {
        remoteCodecs.first { $0.payloadType == payloadType }?.parameters
    }

    /// Joins an offered section and its answer; `answerDirection` and `answerSetup` are the
    /// answer's values after session-level fallback (`SessionDescription.negotiated` passes
    /// them), `remoteSessionBandwidths` the peer's session-level `b=` lines. Throws when they
    /// do not belong together
    /// (another kind or mid) or an accepted RTP section has no codec from the offer.
    public init(offer: MediaDescription, answer: MediaDescription, role: Role,
                answerDirection: MediaDirection? = nil,
                answerSetup: SetupRole? = nil, remoteSessionBandwidths: [Bandwidth] = []) throws(SDPError) {
        guard offer.kind == answer.kind else {
            throw SDPError("answer section is \(answer.kind), the offer's is \(offer.kind)")
        }
        guard offer.mid == answer.mid || answer.mid == nil else {
            throw SDPError("answer section has mid \(answer.mid ?? "none"), the offer's is \(offer.mid ?? "none")")
        }
        mid = offer.mid
        kind = offer.kind
        isRejected = answer.isRejected || offer.isRejected
        let answered = answerDirection ?? answer.direction
        direction = isRejected ? .inactive : (role == .answerer ? answered : answered.reversed)
        // Without a setup line the answerer is active (RFC 4145 §4's default).
        let answererSetup = answerSetup ?? answer.setup ?? .active
        localSetup = role == .answerer ? answererSetup : (answererSetup == .active ? .passive : .active)
        remoteSSRCs = role == .offerer ? answer.ssrcs : offer.ssrcs
        remoteSSRCGroups = role == .offerer ? answer.ssrcGroups : offer.ssrcGroups
        remoteMsid = role == .offerer ? answer.msid : offer.msid
        let remote = role == .offerer ? answer : offer
        remoteCodecs = remote.codecs
        let limits = [Bandwidth.maximumPayloadBitrate(remote.bandwidths),
                      Bandwidth.maximumPayloadBitrate(remoteSessionBandwidths)].compactMap { $0 }
        remoteMaximumBitrate = limits.min()
        rtcpMux = offer.rtcpMux && answer.rtcpMux
        rtcpReducedSize = offer.rtcpReducedSize && answer.rtcpReducedSize
        headerExtensions = isRejected ? [] : answer.headerExtensions.filter { mine in
            offer.headerExtensions.contains { $0.uri == mine.uri }
        }
        guard !isRejected, offer.isRTP else {
            codecs = []
            return
        }
        let offeredCodecs = offer.codecs
        var accepted: [RTPCodec] = []
        // Media codecs: the same payload type as offered (RFC 3264 §6.1), or, from a
        // sloppy answerer, a compatible one under its own number.
        for var codec in answer.codecs where !codec.isRetransmission {
            let match = offeredCodecs.first { $0.payloadType == codec.payloadType && $0.isCompatible(with: codec) }
                ?? offeredCodecs.first { !$0.isRetransmission && $0.isCompatible(with: codec) }
            guard let match else { continue }
            codec.feedback = codec.feedback(commonWith: match)
            accepted.append(codec)
        }
        guard accepted.contains(where: { !$0.isResilience }) else {
            throw SDPError("answer for mid \(offer.mid ?? "?") accepts no codec of the offer")
        }
        // RTX for accepted primaries, placed after them as the answer orders them.
        var ordered: [RTPCodec] = []
        let answerCodecs = answer.codecs
        for codec in answerCodecs {
            if codec.isRetransmission {
                guard let apt = codec.apt, accepted.contains(where: { $0.payloadType == apt }),
                      offeredCodecs.contains(where: { $0.isRetransmission && $0.clockRate == codec.clockRate }) else { continue }
                ordered.append(codec)
            } else if let kept = accepted.first(where: { $0.payloadType == codec.payloadType }) {
                ordered.append(kept)
            }
        }
        codecs = ordered
    }
}

extension SessionDescription {
    /// Applies `answer` to this local offer, section by section (RFC 3264 §7): the answer
    /// must have as many sections, in the same order; its BUNDLE group must be within the
    /// offer's (RFC 9143 §7.3).
    public func negotiated(withAnswer answer: SessionDescription) throws(SDPError) -> [NegotiatedMedia] {
        try Self.negotiate(offer: self, answer: answer, role: .offerer)
    }

    /// What this local answer settled with the remote `offer` it answers.
    public func negotiated(answering offer: SessionDescription) throws(SDPError) -> [NegotiatedMedia] {
        try Self.negotiate(offer: offer, answer: self, role: .answerer)
    }

    static func negotiate(offer: SessionDescription, answer: SessionDescription,
                          role: NegotiatedMedia.Role) throws(SDPError) -> [NegotiatedMedia] {
        guard offer.media.count == answer.media.count else {
            throw SDPError("the answer has \(answer.media.count) media sections, the offer \(offer.media.count)")
        }
        if let bundled = answer.bundleGroup, let offered = offer.bundleGroup,
           let stray = bundled.first(where: { !offered.contains($0) }) {
            throw SDPError("the answer bundles mid \(stray), which the offer did not")
        }
        var result: [NegotiatedMedia] = []
        for index in offer.media.indices {
            do throws(SDPError) {
                result.append(try NegotiatedMedia(
                    offer: offer.media[index], answer: answer.media[index], role: role,
                    answerDirection: answer.direction(forMediaAt: index),
                    answerSetup: answer.transport(forMediaAt: index).setup,
                    remoteSessionBandwidths: role == .offerer ? answer.bandwidths : offer.bandwidths))
            } catch {
                throw SDPError("media section \(index + 1): \(error.reason)")
            }
        }
        return result
    }
}
