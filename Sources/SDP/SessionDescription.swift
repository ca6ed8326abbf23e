/// An SDP session description (RFC 8866): the session level, then the media sections.
/// Parsed leniently in form (LF-only lines, stray whitespace, missing s=/t=) and strictly in
/// substance (see `SDPParser`); everything parsed is written back, in RFC 8866 order with
/// CRLF line endings.
public struct SessionDescription: Sendable, Equatable, SDPAttributeContainer {
    public var origin: Origin
    public var sessionName: String
    /// `t=` (JSEP always writes "0 0").
    public var timing: String
    public var connection: ConnectionData?
    public var bandwidths: [Bandwidth] = []
    /// `i=`, `u=`, `e=`, `p=`, `r=`, `z=`, `k=` lines, kept for round trips.
    public var otherLines: [SDPLine] = []
    public var attributes: [SDPAttribute] = []
    public var media: [MediaDescription] = []

    public init(origin: Origin = Origin(sessionID: "0"), sessionName: String = "-",
                timing: String = "0 0", attributes: [SDPAttribute] = [],
                media: [MediaDescription] = []) {
        self.origin = origin
        self.sessionName = sessionName
        self.timing = timing
        self.attributes = attributes
        self.media = media
    }

    /// Parses `text`; a malformed description throws an `SDPError` naming the line.
    public static func parse(_ text: String) throws(SDPError) -> SessionDescription {
        try SDPParser.parse(text)
    }

    public init(parsing text: String) throws(SDPError) {
        self = try SDPParser.parse(text)
    }

    /// The order Chromium writes session-level attributes in; unknown ones go last.
    public static func rank(ofAttribute name: String) -> Int {
        switch name {
        case "group": 0
        case "extmap-allow-mixed": 1
        case "msid-semantic": 2
        case "ice-lite": 3
        case "ice-ufrag": 4
        case "ice-pwd": 5
        case "ice-options": 6
        case "fingerprint": 7
        case "setup": 8
        case "sendrecv", "sendonly", "recvonly", "inactive": 9
        default: Int.max
        }
    }

    /// `a=group` lines (RFC 5888 §5), in order.
    public var groups: [SDPGroup] {
        // The typed accessors skip values they cannot parse (RFC 8866 §5.13: what a receiver
        // does not understand it ignores); negotiation then fails loudly on what it needs.
        get { attributes("group").compactMap { try? SDPGroup(parsing: $0) } }
        set { replaceAttributes(named: ["group"], with: newValue.map { SDPAttribute("group", $0.value) }) }
    }

    /// The mids of the first `a=group:BUNDLE` (RFC 9143 §7.1); nil when none. Setting nil
    /// removes the BUNDLE group and keeps other groups.
    public var bundleGroup: [String]? {
        get { groups.first { $0.semantics == "BUNDLE" }?.mids }
        set {
            var others = groups.filter { $0.semantics != "BUNDLE" }
            if let newValue { others.insert(SDPGroup(semantics: "BUNDLE", mids: newValue), at: 0) }
            groups = others
        }
    }

    /// `a=ice-lite` (RFC 8839 §5.3), session level only.
    public var iceLite: Bool {
        get { hasAttribute("ice-lite") }
        set { setFlag("ice-lite", newValue) }
    }

    /// The index of the media section with `a=mid:<mid>`.
    public func mediaIndex(mid: String) -> Int? {
        media.firstIndex { $0.mid == mid }
    }

    /// The text: RFC 8866 §5 order (v, o, s, i, u, e, p, c, b, t, r, z, k, a, then each
    /// m-section as m, i, c, b, k, a), CRLF line endings.
    public var sdpText: String {
        var lines = ["v=0", "o=\(origin.value)", "s=\(sessionName)"]
        let early: Set<Character> = ["i", "u", "e", "p"]
        lines += otherLines.filter { early.contains($0.type) }.map(\.line)
        if let connection { lines.append("c=\(connection.value)") }
        lines += bandwidths.map { "b=\($0.sdpValue)" }
        lines.append("t=\(timing)")
        lines += otherLines.filter { !early.contains($0.type) }.map(\.line)
        lines += attributes.map(\.line)
        for m in media {
            lines.append("m=\(m.mediaLineValue)")
            lines += m.otherLines.filter { $0.type == "i" }.map(\.line)
            if let connection = m.connection { lines.append("c=\(connection.value)") }
            lines += m.bandwidths.map { "b=\($0.sdpValue)" }
            lines += m.otherLines.filter { $0.type != "i" }.map(\.line)
            lines += m.attributes.map(\.line)
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
