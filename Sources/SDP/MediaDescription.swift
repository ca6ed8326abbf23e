/// One media section: the `m=` line and everything up to the next one (RFC 8866 §5.14).
public struct MediaDescription: Sendable, Equatable, SDPAttributeContainer {
    /// "audio", "video", "application".
    public var media: String
    /// 0 marks a rejected section (RFC 3264 §6); 9 is the JSEP placeholder (RFC 8829 §5.2.1).
    public var port: Int
    public var proto: String
    /// Payload types (for RTP) or format names, as strings in offer order.
    public var formats: [String]
    /// `c=` at media level, e.g. "IN IP4 0.0.0.0".
    public var connection: String?
    /// `b=` lines, e.g. "AS:1000", "TIAS:1000000".
    public var bandwidths: [String] = []
    public var attributes: [SDPAttribute] = []

    public init(media: String, port: Int = 9, proto: String = "UDP/TLS/RTP/SAVPF",
                formats: [String], connection: String? = "IN IP4 0.0.0.0",
                attributes: [SDPAttribute] = []) {
        self.media = media
        self.port = port
        self.proto = proto
        self.formats = formats
        self.connection = connection
        self.attributes = attributes
    }

    public var mid: String? { attribute("mid") }
    public var isRejected: Bool { port == 0 }

    /// The direction attribute; RFC 8866 §6.7: sendrecv when none is given.
    public var direction: MediaDirection {
        get {
            for attribute in attributes where attribute.value == nil {
                if let direction = MediaDirection(rawValue: attribute.name) { return direction }
            }
            return .sendrecv
        }
        set {
            attributes.removeAll { $0.value == nil && MediaDirection(rawValue: $0.name) != nil }
            attributes.append(SDPAttribute(newValue.rawValue))
        }
    }

    public var rtcpMux: Bool { hasAttribute("rtcp-mux") }
    public var rtcpReducedSize: Bool { hasAttribute("rtcp-rsize") }

    /// Raw `a=candidate` values (RFC 8839 §5.1): the ICE module parses them.
    public var candidates: [String] { attributes("candidate") }
    public var endOfCandidates: Bool { hasAttribute("end-of-candidates") }

    /// The codecs, in the order of the m-line, joined from rtpmap, fmtp and rtcp-fb
    /// (RFC 8866 §6.6, RFC 4585 §4.2). Static payload types without rtpmap are skipped.
    public var codecs: [RTPCodec] {
        var maps: [Int: RTPCodec] = [:]
        for value in attributes("rtpmap") {
            if let codec = try? RTPCodec(rtpmap: value) { maps[codec.payloadType] = codec }
        }
        for value in attributes("fmtp") {
            guard let (pt, rest) = Self.splitPayloadType(value) else { continue }
            maps[pt]?.parameters = RTPCodec.parseParameters(rest)
        }
        var wildcard: [String] = []
        for value in attributes("rtcp-fb") {
            let head = value.prefix { $0 != " " }
            let rest = String(value.dropFirst(head.count + 1))
            if head == "*" { wildcard.append(rest); continue }
            guard let pt = Int(head) else { continue }
            maps[pt]?.feedback.append(rest)
        }
        return formats.compactMap { Int($0).flatMap { maps[$0] } }.map { codec in
            var codec = codec
            codec.feedback += wildcard.filter { !codec.feedback.contains($0) }
            return codec
        }
    }

    /// `a=extmap` (RFC 8285 §8): header extension ids and URIs.
    public var extensions: [RTPHeaderExtensionMap] {
        attributes("extmap").compactMap { try? RTPHeaderExtensionMap(parsing: $0) }
    }

    /// `a=ssrc` lines (RFC 5576 §4.1) grouped by SSRC, in first-seen order.
    public var ssrcs: [UInt32] {
        var seen: [UInt32] = []
        for value in attributes("ssrc") {
            guard let ssrc = UInt32(value.prefix { $0 != " " }), !seen.contains(ssrc) else { continue }
            seen.append(ssrc)
        }
        return seen
    }

    /// `a=ssrc:<ssrc> cname:<cname>` for the given SSRC.
    public func ssrcAttribute(_ ssrc: UInt32, _ name: String) -> String? {
        let prefix = "\(ssrc) \(name):"
        return attributes("ssrc").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    /// `a=ssrc-group:FID <primary> <rtx>` (RFC 5576 §4.2, RFC 4588 §8): primary to RTX SSRC.
    public var ssrcGroups: [(semantics: String, ssrcs: [UInt32])] {
        attributes("ssrc-group").compactMap { value in
            let parts = value.split(separator: " ")
            guard let semantics = parts.first else { return nil }
            return (String(semantics), parts.dropFirst().compactMap { UInt32($0) })
        }
    }

    /// `a=msid:<stream> <track>` (RFC 8830 §2).
    public var msid: (stream: String, track: String?)? {
        guard let value = attribute("msid") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard let stream = parts.first else { return nil }
        return (String(stream), parts.count > 1 ? String(parts[1]) : nil)
    }

    static func splitPayloadType(_ value: String) -> (Int, String)? {
        let head = value.prefix { $0 != " " }
        guard let pt = Int(head) else { return nil }
        return (pt, String(value.dropFirst(head.count).drop { $0 == " " }))
    }
}
