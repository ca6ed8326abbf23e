/// The payload types and header-extension ids a session already uses, kept by later offers
/// (RFC 8829 §5.2.2: a subsequent offer keeps the mappings of the session; RFC 8843 §9.1:
/// one BUNDLE group, one meaning per payload type). Without this, a side that answered
/// first and offers later would renumber what the peer chose: Chromium's renderer crashed
/// on such a re-offer.
public struct EstablishedNumbering: Sendable, Equatable {
    struct CodecKey: Hashable {
        var name: String
        var clockRate: Int
        var channels: Int
    }
    private var payloadTypes: [CodecKey: Int] = [:]
    /// RTX payload type by the payload type it retransmits.
    private var retransmission: [Int: Int] = [:]
    private var usedPayloadTypes: Set<Int> = []
    private var extensionIDs: [String: Int] = [:]
    private var usedExtensionIDs: Set<Int> = []

    /// The numbering of these descriptions (the current local and remote one; the first
    /// that names a codec or an extension wins).
    public init(_ descriptions: [SessionDescription]) {
        for d in descriptions {
            for section in d.media where !section.isRejected {
                for codec in section.codecs {
                    usedPayloadTypes.insert(codec.payloadType)
                    if codec.isRetransmission {
                        if let apt = codec.apt, retransmission[apt] == nil { retransmission[apt] = codec.payloadType }
                    } else {
                        let key = CodecKey(name: codec.name.lowercased(), clockRate: codec.clockRate, channels: codec.channelCount)
                        if payloadTypes[key] == nil { payloadTypes[key] = codec.payloadType }
                    }
                }
                for e in section.headerExtensions {
                    usedExtensionIDs.insert(e.id)
                    if extensionIDs[e.uri] == nil { extensionIDs[e.uri] = e.id }
                }
            }
        }
    }

    /// `capabilities` renumbered: a codec or extension the session has keeps the session's
    /// number; a new one keeps its own unless the session uses that number, and then takes a
    /// free one (payload types 96-127, extension ids 1-14).
    public func applied(to capabilities: MediaCapabilities) -> MediaCapabilities {
        var c = capabilities
        var taken = usedPayloadTypes
        var renumbered: [Int: Int] = [:]
        func free(_ wanted: Int) -> Int {
            if !taken.contains(wanted) { return wanted }
            return (96...127).first { !taken.contains($0) } ?? wanted
        }
        for i in c.codecs.indices where !c.codecs[i].isRetransmission {
            let codec = c.codecs[i]
            let key = CodecKey(name: codec.name.lowercased(), clockRate: codec.clockRate, channels: codec.channelCount)
            let pt = payloadTypes[key] ?? free(codec.payloadType)
            taken.insert(pt)
            renumbered[codec.payloadType] = pt
            c.codecs[i].payloadType = pt
        }
        for i in c.codecs.indices where c.codecs[i].isRetransmission {
            let apt = c.codecs[i].apt.flatMap { renumbered[$0] }
            if let apt { c.codecs[i].apt = apt }
            let pt = apt.flatMap { retransmission[$0] } ?? free(c.codecs[i].payloadType)
            taken.insert(pt)
            c.codecs[i].payloadType = pt
        }
        var takenIDs = usedExtensionIDs
        for i in c.headerExtensions.indices {
            let uri = c.headerExtensions[i].uri
            if let id = extensionIDs[uri] {
                c.headerExtensions[i].id = id
            } else if takenIDs.contains(c.headerExtensions[i].id), let id = (1...14).first(where: { !takenIDs.contains($0) }) {
                c.headerExtensions[i].id = id
            }
            takenIDs.insert(c.headerExtensions[i].id)
        }
        return c
    }
}
