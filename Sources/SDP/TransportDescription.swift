/// The ICE and DTLS parameters that apply to one media section, resolved across levels:
/// the section's own attributes first, then (for a section in the BUNDLE group) those of the
/// group's tagged section (RFC 9143 §7.1.3, the first mid), then the session level
/// (RFC 8839 §5.4, RFC 8122 §5, RFC 4145 §4 allow either level).
public struct TransportDescription: Sendable, Equatable {
    public var iceUfrag: String?
    public var icePwd: String?
    public var iceOptions: [String]
    public var iceLite: Bool
    public var fingerprints: [SDPFingerprint]
    public var setup: SetupRole?
    /// Raw `a=candidate` values (Chromium lists them only in the first bundled section).
    public var candidates: [String]
    public var endOfCandidates: Bool
}

extension SessionDescription {
    /// The media sections to look in for section `index`, most specific first.
    private func transportSources(forMediaAt index: Int) -> [MediaDescription] {
        guard media.indices.contains(index) else { return [] }
        var sources = [media[index]]
        if let mid = media[index].mid, let bundle = bundleGroup, bundle.contains(mid),
           let tag = bundle.first, tag != mid, let tagIndex = mediaIndex(mid: tag) {
            sources.append(media[tagIndex])
        }
        return sources
    }

    /// ICE and DTLS parameters for media section `index`, with the fallbacks above.
    public func transport(forMediaAt index: Int) -> TransportDescription {
        let sources = transportSources(forMediaAt: index)
        let withCandidates = sources.first { !$0.candidates.isEmpty }
        return TransportDescription(
            iceUfrag: sources.lazy.compactMap(\.iceUfrag).first ?? iceUfrag,
            icePwd: sources.lazy.compactMap(\.icePwd).first ?? icePwd,
            iceOptions: sources.lazy.map(\.iceOptions).first { !$0.isEmpty } ?? iceOptions,
            iceLite: iceLite,
            fingerprints: sources.lazy.map(\.fingerprints).first { !$0.isEmpty } ?? fingerprints,
            setup: sources.lazy.compactMap(\.setup).first ?? setup,
            candidates: withCandidates?.candidates ?? [],
            endOfCandidates: withCandidates?.endOfCandidates ?? sources.contains { $0.endOfCandidates })
    }

    public func iceUfrag(forMediaAt index: Int) -> String? { transport(forMediaAt: index).iceUfrag }
    public func icePwd(forMediaAt index: Int) -> String? { transport(forMediaAt: index).icePwd }
    public func fingerprints(forMediaAt index: Int) -> [SDPFingerprint] { transport(forMediaAt: index).fingerprints }
    public func setup(forMediaAt index: Int) -> SetupRole? { transport(forMediaAt: index).setup }

    /// The section's direction, else the session-level one, else sendrecv (RFC 8866 §6.7).
    public func direction(forMediaAt index: Int) -> MediaDirection {
        guard media.indices.contains(index) else { return explicitDirection ?? .sendrecv }
        return media[index].explicitDirection ?? explicitDirection ?? .sendrecv
    }

    /// `a=extmap-allow-mixed` at session level or in section `index` (RFC 8285 §6).
    public func extmapAllowMixed(forMediaAt index: Int) -> Bool {
        extmapAllowMixed || (media.indices.contains(index) && media[index].extmapAllowMixed)
    }
}
