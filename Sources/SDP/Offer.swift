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
    /// One section of an offer: its mid, what it offers, and whether its transceiver is stopped
    /// (then the section stays, refused with port 0, so the sections keep their places:
    /// RFC 8829 §5.2.2).
    public struct OfferedSection: Sendable {
        public var mid: String
        public var capabilities: MediaCapabilities
        public var isStopped: Bool

        public init(mid: String, capabilities: MediaCapabilities, isStopped: Bool = false) {
            self.mid = mid
            self.capabilities = capabilities
            self.isStopped = isStopped
        }
    }

    /// An offer with one section per capabilities (mids "0", "1", ...), all in one BUNDLE
    /// group, the transport in every section (setup actpass unless told otherwise) and the
    /// candidates in the first.
    public static func offer(capabilities: [MediaCapabilities], transport: LocalTransport,
                             origin: Origin = Origin(sessionID: "0")) -> SessionDescription {
        offer(sections: capabilities.enumerated().map { OfferedSection(mid: String($0.offset), capabilities: $0.element) },
              transport: transport, origin: origin)
    }

    /// An initial or subsequent offer (RFC 8829 §5.2.1, §5.2.2): the sections in order under
    /// their mids; the live ones in one BUNDLE group with the transport (setup actpass unless
    /// told otherwise) and the candidates in the first of them; stopped ones refused (port 0,
    /// the same formats and mid, outside the group: RFC 8843 §7.3.3).
    public static func offer(sections: [OfferedSection], transport: LocalTransport,
                             origin: Origin = Origin(sessionID: "0")) -> SessionDescription {
        var offer = SessionDescription(origin: origin)
        var candidatesWritten = false
        for offered in sections {
            var section = MediaDescription.offer(mid: offered.mid, capabilities: offered.capabilities)
            if offered.isStopped {
                offer.media.append(section.rejectedAnswer())
                continue
            }
            section.apply(transport, setup: transport.setup ?? .actpass)
            if !candidatesWritten {
                section.addCandidates(of: transport)
                candidatesWritten = true
            }
            offer.media.append(section)
        }
        let bundled = offer.media.filter { !$0.isRejected }.compactMap(\.mid)
        if !bundled.isEmpty { offer.bundleGroup = bundled }
        return offer
    }
}
