/// Writing a local offer (RFC 8829 §5.2.1) from capabilities.
extension MediaDescription {
    /// An offered section: the capabilities' codecs (their payload types, fmtp, rtcp-fb),
    /// header extensions and direction, rtcp-mux and rtcp-rsize, under `mid`.
    public static func offer(mid: String, capabilities: MediaCapabilities) -> MediaDescription {
        var section = MediaDescription(kind: capabilities.kind, port: 9,
                                       proto: capabilities.protocols.contains("UDP/TLS/RTP/SAVPF") ? "UDP/TLS/RTP/SAVPF"
                                           : capabilities.protocols.sorted().first ?? "UDP/TLS/RTP/SAVPF")
        section.mid = mid
        section.headerExtensions = capabilities.headerExtensions
        section.direction = capabilities.direction
        section.rtcpMux = true
        section.rtcpReducedSize = capabilities.rtcpReducedSize
        section.codecs = capabilities.codecs
        section.bandwidths = capabilities.bandwidths
        return section
    }
}

extension SessionDescription {
    /// An offer with one section per capabilities (mids "0", "1", ...), all in one BUNDLE
    /// group, the transport in every section (setup actpass unless told otherwise) and the
    /// candidates in the first.
    public static func offer(capabilities: [MediaCapabilities], transport: LocalTransport,
                             origin: Origin = Origin(sessionID: "0")) -> SessionDescription {
        var offer = SessionDescription(origin: origin)
        for (index, capabilities) in capabilities.enumerated() {
            var section = MediaDescription.offer(mid: String(index), capabilities: capabilities)
            section.apply(transport, setup: transport.setup ?? .actpass)
            if index == 0 { section.addCandidates(of: transport) }
            offer.media.append(section)
        }
        if !offer.media.isEmpty { offer.bundleGroup = offer.media.compactMap(\.mid) }
        return offer
    }
}
