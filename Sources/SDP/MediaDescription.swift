/// One media section: the `m=` line and what follows up to the next one (RFC 8866 §5.14).
/// The attribute list is kept whole and in order; the typed properties read and write it.
public struct MediaDescription: Sendable, Equatable, SDPAttributeContainer {
    public var kind: MediaKind
    /// 0 marks a rejected section (RFC 3264 §6); 9 is JSEP's placeholder (RFC 8829 §5.2.1).
    public var port: Int
    /// The `/<number of ports>` suffix of the port, when written.
    public var numberOfPorts: Int?
    /// "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", ...
    public var proto: String
    /// Payload types (for RTP) or format names, as written, in the offerer's preference.
    public var formats: [String]
    /// `c=` at media level.
    public var connection: ConnectionData?
    /// `b=` lines.
    public var bandwidths: [Bandwidth] = []
    /// `i=` and `k=` lines (rare; kept for round trips), as `(type, value)`.
    public var otherLines: [SDPLine] = []
    public var attributes: [SDPAttribute] = []

    public init(kind: MediaKind, port: Int = 9, proto: String = "UDP/TLS/RTP/SAVPF",
                formats: [String] = [], connection: ConnectionData? = ConnectionData(),
                attributes: [SDPAttribute] = []) {
        self.kind = kind
        self.port = port
        self.proto = proto
        self.formats = formats
        self.connection = connection
        self.attributes = attributes
    }

    /// The order Chromium writes media-level attributes in; unknown ones go last.
    public static func rank(ofAttribute name: String) -> Int {
        switch name {
        case "rtcp": 0
        case "candidate": 1
        case "end-of-candidates": 2
        case "ice-ufrag": 3
        case "ice-pwd": 4
        case "ice-options": 5
        case "ice-lite": 5
        case "fingerprint": 6
        case "setup": 7
        case "mid", "bundle-only": 8
        case "sctp-port", "max-message-size": 9
        case "extmap": 10
        case "extmap-allow-mixed": 11
        case "sendrecv", "sendonly", "recvonly", "inactive": 12
        case "msid": 13
        case "rtcp-mux": 14
        case "rtcp-rsize": 15
        case "rtpmap", "rtcp-fb", "fmtp": 16
        case "ssrc-group": 17
        case "ssrc": 18
        default: Int.max
        }
    }

    /// RFC 3264 §6: a zero port rejects (or disables) the section, except with
    /// `a=bundle-only` (RFC 8843 §6), where the section rides on the BUNDLE transport
    /// (webrtcbin offers its second m-line so).
    public var isRejected: Bool { port == 0 && !bundleOnly }

    /// `a=bundle-only` (RFC 8843 §6).
    public var bundleOnly: Bool {
        get { hasAttribute("bundle-only") }
        set { setFlag("bundle-only", newValue) }
    }

    /// Whether the formats are RTP payload types (RTP/AVP, UDP/TLS/RTP/SAVPF, ...).
    public var isRTP: Bool { proto.split(separator: "/").contains("RTP") }

    /// `a=mid` (RFC 5888 §4).
    public var mid: String? {
        get { attribute("mid") }
        set { setAttribute("mid", newValue) }
    }

    /// The direction written here, sendrecv when none is (RFC 8866 §6.7; the session level
    /// may say otherwise: see `SessionDescription.direction(forMediaAt:)`).
    public var direction: MediaDirection {
        get { explicitDirection ?? .sendrecv }
        set { explicitDirection = newValue }
    }

    /// `a=rtcp-mux` (RFC 5761 §5.1.3).
    public var rtcpMux: Bool {
        get { hasAttribute("rtcp-mux") }
        set { setFlag("rtcp-mux", newValue) }
    }

    /// `a=rtcp-rsize` (RFC 5506 §5).
    public var rtcpReducedSize: Bool {
        get { hasAttribute("rtcp-rsize") }
        set { setFlag("rtcp-rsize", newValue) }
    }

    /// Raw `a=candidate` values (RFC 8839 §5.1): the ICE module parses them.
    public var candidates: [String] {
        get { attributes("candidate") }
        set { replaceAttributes(named: ["candidate"], with: newValue.map { SDPAttribute("candidate", $0) }) }
    }

    /// `a=end-of-candidates` (RFC 8840 §8.2).
    public var endOfCandidates: Bool {
        get { hasAttribute("end-of-candidates") }
        set { setFlag("end-of-candidates", newValue) }
    }

    /// `a=msid` lines (RFC 8830 §2), in order; usually one.
    public var msids: [MediaStreamID] {
        // Like every typed accessor here: unparsable values are skipped (RFC 8866 §5.13), and
        // what negotiation needs and does not find it reports (no codec, no SSRC).
        get { attributes("msid").compactMap { try? MediaStreamID(parsing: $0) } }
        set { replaceAttributes(named: ["msid"], with: newValue.map { SDPAttribute("msid", $0.value) }) }
    }

    /// The first `a=msid`.
    public var msid: MediaStreamID? {
        get { msids.first }
        set { msids = newValue.map { [$0] } ?? [] }
    }

    /// `a=sctp-port` (RFC 8841 §5), for a data channel section.
    public var sctpPort: Int? { attribute("sctp-port").flatMap { Int($0) } }
    /// `a=max-message-size` (RFC 8841 §6).
    public var maxMessageSize: Int? { attribute("max-message-size").flatMap { Int($0) } }

    /// The codecs in the order of the m-line, each joined from its rtpmap, fmtp and rtcp-fb
    /// lines (`a=rtcp-fb:*` applies to all). A static payload type without an rtpmap takes its
    /// RFC 3551 meaning; a dynamic one without an rtpmap is left out. Setting rewrites the
    /// formats and those lines (rtpmap, rtcp-fb..., fmtp per codec, as Chromium writes them).
    public var codecs: [RTPCodec] {
        get {
            guard isRTP else { return [] }
            var maps: [Int: RTPCodec] = [:]
            for value in attributes("rtpmap") {
                if let codec = try? RTPCodec(rtpmap: value), maps[codec.payloadType] == nil {
                    maps[codec.payloadType] = codec
                }
            }
            var fmtps: [Int: FormatParameters] = [:]
            for value in attributes("fmtp") {
                guard let (pt, rest) = try? RTPCodec.splitPayloadType(value, attribute: "fmtp") else { continue }
                if fmtps[pt] == nil { fmtps[pt] = FormatParameters(raw: String(rest)) }
            }
            var feedback: [Int: [RTCPFeedback]] = [:]
            var wildcard: [RTCPFeedback] = []
            for value in attributes("rtcp-fb") {
                let head = value.prefix { $0 != " " }
                guard let fb = try? RTCPFeedback(parsing: value.dropFirst(head.count)) else { continue }
                if head == "*" {
                    wildcard.append(fb)
                } else if let pt = Int(head) {
                    feedback[pt, default: []].append(fb)
                }
            }
            var seen: Set<Int> = []
            return formats.compactMap { format -> RTPCodec? in
                guard let pt = Int(format), seen.insert(pt).inserted,
                      var codec = maps[pt] ?? RTPCodec.staticPayloadType(pt) else { return nil }
                codec.parameters = fmtps[pt] ?? FormatParameters()
                codec.feedback = feedback[pt] ?? []
                for fb in wildcard where !codec.feedback.contains(fb) { codec.feedback.append(fb) }
                return codec
            }
        }
        set {
            formats = newValue.map { String($0.payloadType) }
            var lines: [SDPAttribute] = []
            for codec in newValue {
                lines.append(SDPAttribute("rtpmap", codec.rtpmapValue))
                for fb in codec.feedback { lines.append(SDPAttribute("rtcp-fb", "\(codec.payloadType) \(fb)")) }
                if !codec.parameters.isEmpty { lines.append(SDPAttribute("fmtp", "\(codec.payloadType) \(codec.parameters.raw)")) }
            }
            replaceAttributes(named: ["rtpmap", "rtcp-fb", "fmtp"], with: lines)
        }
    }

    /// The codec with payload type `pt`.
    public func codec(payloadType pt: Int) -> RTPCodec? {
        codecs.first { $0.payloadType == pt }
    }

    /// `a=extmap` lines (RFC 8285 §8), in order.
    public var headerExtensions: [ExtMap] {
        get { attributes("extmap").compactMap { try? ExtMap(parsing: $0) } }
        set { replaceAttributes(named: ["extmap"], with: newValue.map { SDPAttribute("extmap", $0.value) }) }
    }

    /// `a=ssrc` lines (RFC 5576 §4.1) grouped by SSRC, in first-seen order.
    public var ssrcs: [SSRCDescription] {
        get {
            var result: [SSRCDescription] = []
            for value in attributes("ssrc") {
                guard let (ssrc, attribute) = try? SSRCDescription.parse(value) else { continue }
                if let i = result.firstIndex(where: { $0.ssrc == ssrc }) {
                    result[i].attributes.append(attribute)
                } else {
                    result.append(SSRCDescription(ssrc: ssrc, attributes: [attribute]))
                }
            }
            return result
        }
        set {
            let lines = newValue.flatMap { source in
                source.attributes.map { SDPAttribute("ssrc", "\(source.ssrc) \($0.line.dropFirst(2))") }
            }
            replaceAttributes(named: ["ssrc"], with: lines)
        }
    }

    /// `a=ssrc-group` lines (RFC 5576 §4.2), e.g. `FID <primary> <rtx>`.
    public var ssrcGroups: [SSRCGroup] {
        get { attributes("ssrc-group").compactMap { try? SSRCGroup(parsing: $0) } }
        set { replaceAttributes(named: ["ssrc-group"], with: newValue.map { SDPAttribute("ssrc-group", $0.value) }) }
    }

    /// The RTX SSRC paired with `primary` by an `FID` group (RFC 4588 §8.2).
    public func retransmissionSSRC(for primary: UInt32) -> UInt32? {
        ssrcGroups.first { $0.semantics == "FID" && $0.ssrcs.first == primary && $0.ssrcs.count >= 2 }?.ssrcs[1]
    }

    /// The `m=` line's value.
    var mediaLineValue: String {
        let port = numberOfPorts.map { "\(self.port)/\($0)" } ?? String(self.port)
        return ([kind.description, port, proto] + formats).joined(separator: " ")
    }
}

/// A line other than v/o/s/t/c/b/a/m, kept for round trips (RFC 8866 §5: i, u, e, p, r, z, k).
public struct SDPLine: Sendable, Equatable, Hashable {
    public var type: Character
    public var value: String

    public init(type: Character, value: String) {
        self.type = type
        self.value = value
    }

    var line: String { "\(type)=\(value)" }

    /// Where RFC 8866 §5 puts this line among the other lines of its level (session: i, u, e,
    /// p, r, z, k; media: i, k). The parser keeps `otherLines` in this order, so a description
    /// read from lines out of order writes back, and reads again, as the same description.
    var rfcRank: Int { Self.rfcOrder.firstIndex(of: type) ?? Self.rfcOrder.count }
    private static let rfcOrder: [Character] = ["i", "u", "e", "p", "r", "z", "k"]

    /// Appends `line` after every line of its rank or lower (a stable insertion in RFC order).
    static func insert(_ line: SDPLine, into lines: inout [SDPLine]) {
        let rank = line.rfcRank
        let index = lines.lastIndex { $0.rfcRank <= rank }.map { $0 + 1 } ?? 0
        lines.insert(line, at: index)
    }
}
