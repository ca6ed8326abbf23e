/// A body of media type `application/trickle-ice-sdpfrag` (RFC 8840 §9): the ICE credentials,
/// then one `m=` line per media section with its `a=mid`, the trickled `a=candidate` lines and
/// `a=end-of-candidates` (RFC 8838 §8.2). WHIP sends it with PATCH (RFC 9725 §4.3.1); with
/// BUNDLE it holds the one `m=` line that carries the transport (RFC 9725 §4.3.2).
///
/// Like the rest of Signaling it does not interpret a candidate: a line is checked for its
/// shape only (RFC 8839 §5.1: foundation, component, transport, priority, address, port,
/// `typ` and a type); the ICE agent reads the rest.
public struct TrickleICEFragment: Sendable, Equatable {
    public static let mediaType = "application/trickle-ice-sdpfrag"

    /// One `m=` section of the fragment.
    public struct MediaSection: Sendable, Equatable {
        /// The `m=` line's value (`audio 9 UDP/TLS/RTP/SAVPF 111`), as in the description.
        public var media: String
        public var mid: String?
        /// Media-level credentials (RFC 9725's own example puts them here).
        public var iceUfrag: String?
        public var icePwd: String?
        /// `candidate:...` attribute values (no `a=`).
        public var candidates: [String]
        public var endOfCandidates: Bool

        public init(media: String, mid: String?, iceUfrag: String? = nil, icePwd: String? = nil,
                    candidates: [String] = [], endOfCandidates: Bool = false) {
            self.media = media
            self.mid = mid
            self.iceUfrag = iceUfrag
            self.icePwd = icePwd
            self.candidates = candidates
            self.endOfCandidates = endOfCandidates
        }
    }

    /// Session-level credentials (RFC 8840's example puts them here).
    public var iceUfrag: String?
    public var icePwd: String?
    /// A session-level `a=end-of-candidates`: it ends every section (RFC 8840 §8.2).
    public var endOfCandidates: Bool
    public var mediaSections: [MediaSection]

    /// Most candidates one fragment may carry (a gathering yields tens; more is an attack).
    public static let maxCandidates = 256

    public init(iceUfrag: String? = nil, icePwd: String? = nil, endOfCandidates: Bool = false, mediaSections: [MediaSection]) {
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.endOfCandidates = endOfCandidates
        self.mediaSections = mediaSections
    }

    /// Why a body is not a fragment, for the 400 a WHIP session answers with.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
        init(_ reason: String) { self.reason = reason }
    }

    // MARK: - Reading it

    /// The credentials of a section: its own, else the session's.
    public func credentials(of section: MediaSection) -> (ufrag: String?, pwd: String?) {
        (section.iceUfrag ?? iceUfrag, section.icePwd ?? icePwd)
    }

    /// Every candidate with the mid and the section index it came under.
    public var allCandidates: [(candidate: String, mid: String?, index: Int)] {
        mediaSections.enumerated().flatMap { i, s in s.candidates.map { ($0, s.mid, i) } }
    }

    /// True when the fragment ends the candidates (at session level, or in its last section:
    /// with BUNDLE there is one).
    public var endsCandidates: Bool {
        endOfCandidates || (!mediaSections.isEmpty && mediaSections.allSatisfy(\.endOfCandidates))
    }

    // MARK: - Text

    /// The body, CRLF line ends: credentials first (session level unless a section has its
    /// own), then each section's `m=`, `a=mid`, candidates and end-of-candidates.
    public func serialized() -> String {
        var lines: [String] = []
        if let iceUfrag { lines.append("a=ice-ufrag:" + iceUfrag) }
        if let icePwd { lines.append("a=ice-pwd:" + icePwd) }
        for section in mediaSections {
            lines.append("m=" + section.media)
            if let mid = section.mid { lines.append("a=mid:" + mid) }
            if let u = section.iceUfrag { lines.append("a=ice-ufrag:" + u) }
            if let p = section.icePwd { lines.append("a=ice-pwd:" + p) }
            for c in section.candidates { lines.append("a=" + Self.attributeValue(c)) }
            if section.endOfCandidates { lines.append("a=end-of-candidates") }
        }
        if endOfCandidates { lines.append("a=end-of-candidates") }
        return lines.map { $0 + "\r\n" }.joined()
    }

    /// `candidate:...` from `a=candidate:...` or `candidate:...` (trimmed).
    static func attributeValue(_ candidate: String) -> String {
        let t = candidate.trimmingSpaces()
        return t.hasPrefix("a=") ? String(t.dropFirst(2)) : t
    }

    /// Parses a PATCH body. Lines end in CRLF or LF; `a=` attributes other than the ICE ones
    /// (`a=group`, `a=ice-options`, ...) are skipped, as are other SDP lines before the first
    /// `m=`. A fragment that trickles nothing (no candidate, no end-of-candidates) is an error.
    public init(parsing text: String) throws(ParseError) {
        var session = TrickleICEFragment(mediaSections: [])
        var current: MediaSection?
        var count = 0
        var lineNumber = 0
        func finish() { if let c = current { session.mediaSections.append(c) }; current = nil }
        for line in Self.lines(text) {
            lineNumber += 1
            if line.isEmpty { continue }
            guard line.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
                throw ParseError("line \(lineNumber) has bytes that are not printable ASCII")
            }
            guard line.utf8.count >= 2, line.utf8.dropFirst().first == UInt8(ascii: "="),
                  let type = line.first, type.isLetter else {
                throw ParseError("line \(lineNumber) is not an SDP line (type=value)")
            }
            let value = Substring(line).dropFirst(2)
            if type == "m" {
                guard value.split(separator: " ").count >= 3 else {
                    throw ParseError("line \(lineNumber): an m= line has media, port and proto")
                }
                finish()
                current = MediaSection(media: String(value), mid: nil)
                continue
            }
            guard type == "a" else { continue }
            let (name, attributeValue) = Self.split(value)
            switch name {
            case "ice-ufrag", "ice-pwd":
                guard let v = attributeValue, Self.isICEChars(v, min: name == "ice-ufrag" ? 4 : 22) else {
                    throw ParseError("line \(lineNumber): a=\(name) takes 4 (ufrag) or 22 (pwd) to 256 ice-chars (RFC 8839 §5.4)")
                }
                if current == nil {
                    if name == "ice-ufrag" { session.iceUfrag = v } else { session.icePwd = v }
                } else if name == "ice-ufrag" { current?.iceUfrag = v } else { current?.icePwd = v }
            case "mid":
                guard let v = attributeValue, !v.isEmpty, current != nil else {
                    throw ParseError("line \(lineNumber): a=mid needs a value and an m= line above it")
                }
                current?.mid = v
            case "candidate":
                guard current != nil else {
                    throw ParseError("line \(lineNumber): a=candidate before any m= line (RFC 8840 §9: candidates are media-level)")
                }
                if let problem = Self.candidateProblem(attributeValue ?? "") {
                    throw ParseError("line \(lineNumber): not an ICE candidate: \(problem)")
                }
                count += 1
                guard count <= Self.maxCandidates else {
                    throw ParseError("more than \(Self.maxCandidates) candidates in one fragment")
                }
                current?.candidates.append("candidate:" + (attributeValue ?? ""))
            case "end-of-candidates":
                if current == nil { session.endOfCandidates = true } else { current?.endOfCandidates = true }
            default:
                continue
            }
        }
        finish()
        if count == 0 && !session.endOfCandidates && !session.mediaSections.contains(where: \.endOfCandidates) {
            throw ParseError(text.isEmpty ? "the body is empty" : "the fragment has no a=candidate and no a=end-of-candidates")
        }
        self = session
    }

    /// The lines of SDP text, split at LF with a CR before it dropped. (Not `split(separator:
    /// "\n")`: in a Swift String CRLF is one Character, and such a split finds no line end.)
    static func lines(_ text: String) -> [String] {
        text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { raw in
            String(decoding: raw.last == UInt8(ascii: "\r") ? raw.dropLast() : raw[...], as: UTF8.self)
        }
    }

    /// `name:value` -> (name, value); `name` -> (name, nil).
    private static func split(_ attribute: Substring) -> (Substring, String?) {
        guard let colon = attribute.firstIndex(of: ":") else { return (attribute, nil) }
        return (attribute[..<colon], String(attribute[attribute.index(after: colon)...]))
    }

    /// RFC 8839 §5.4: ice-char = ALPHA / DIGIT / "+" / "/", 4 (ufrag) or 22 (pwd) to 256.
    static func isICEChars(_ s: String, min: Int) -> Bool {
        (min...256).contains(s.utf8.count) && s.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2B || c == 0x2F
        }
    }

    /// What is wrong with the shape of a candidate value (after `candidate:`), or nil.
    /// RFC 8839 §5.1: foundation SP component-id SP transport SP priority SP address SP port
    /// SP "typ" SP cand-type *(SP extension).
    static func candidateProblem(_ value: String) -> String? {
        let fields = value.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 8 else { return "fewer than 8 fields" }
        guard (1...32).contains(fields[0].utf8.count) else { return "the foundation has 1 to 32 characters" }
        guard let component = Int(fields[1]), (1...256).contains(component) else { return "the component is 1 to 256" }
        guard UInt32(fields[3]) != nil else { return "the priority is a 32-bit number" }
        guard let port = Int(fields[5]), (0...65535).contains(port) else { return "the port is 0 to 65535" }
        guard fields[6] == "typ" else { return "the 7th field is not \"typ\"" }
        return nil
    }
}

extension TrickleICEFragment {
    /// What a trickling side needs from the description it sent: the ICE credentials and the
    /// first `m=` section's line and mid (the BUNDLE-tagged one that gathers, RFC 9725 §4.3.2).
    public struct DescriptionIdentity: Sendable, Equatable {
        public var iceUfrag: String?
        public var icePwd: String?
        public var media: String
        public var mid: String?
        /// The `candidate:...` values already in the description: not trickled again (RFC
        /// 8838 §4: trickling sends what the description did not carry).
        public var candidates: Set<String>
        /// The description already said `a=end-of-candidates` (it was complete).
        public var endOfCandidates: Bool

        /// Reads them from SDP text; nil when it has no `m=` line. Only the lines named
        /// here are looked at (Signaling moves SDP, it does not parse it).
        public init?(description sdp: String) {
            var sessionUfrag: String?, sessionPwd: String?
            var ufrag: String?, pwd: String?, media: String?, mid: String?
            var candidates = Set<String>()
            var end = false
            var section = 0
            for line in TrickleICEFragment.lines(sdp) {
                if line.hasPrefix("m=") {
                    section += 1
                    if section == 1 { media = String(line.dropFirst(2)) }
                    continue
                }
                guard line.hasPrefix("a=") else { continue }
                let attribute = Substring(line).dropFirst(2)
                if attribute.hasPrefix("candidate:") { candidates.insert(String(attribute).trimmingSpaces()); continue }
                if attribute == "end-of-candidates" { if section <= 1 { end = true }; continue }
                if section > 1 { continue }
                if attribute.hasPrefix("ice-ufrag:") {
                    let v = String(attribute.dropFirst(10))
                    if section == 0 { sessionUfrag = v } else { ufrag = v }
                } else if attribute.hasPrefix("ice-pwd:") {
                    let v = String(attribute.dropFirst(8))
                    if section == 0 { sessionPwd = v } else { pwd = v }
                } else if attribute.hasPrefix("mid:"), section == 1 {
                    mid = String(attribute.dropFirst(4))
                }
            }
            guard let media else { return nil }
            self.iceUfrag = ufrag ?? sessionUfrag
            self.icePwd = pwd ?? sessionPwd
            self.media = media
            self.mid = mid
            self.candidates = candidates
            self.endOfCandidates = end
        }
    }

    /// Why this fragment is not a trickle of the offer's ICE session, or nil. Other
    /// credentials mean an ICE restart (RFC 8840 §4.4; with `If-Match: *`, RFC 9725 §4.3.1),
    /// which a session that trickles but does not restart answers with 422. A fragment
    /// without credentials speaks of the only ICE session there is.
    public func restartProblem(offer identity: DescriptionIdentity?) -> String? {
        for section in mediaSections {
            let (ufrag, pwd) = credentials(of: section)
            if let ufrag, let known = identity?.iceUfrag, ufrag != known {
                return "the fragment's ice-ufrag is not the offer's: an ICE restart, which this session does not do"
            }
            if let pwd, let known = identity?.icePwd, pwd != known {
                return "the fragment's ice-pwd is not the offer's: an ICE restart, which this session does not do"
            }
        }
        return nil
    }

    /// A fragment for WHIP: the credentials at session level, the one section, its candidates.
    public init(identity: DescriptionIdentity, candidates: [String], endOfCandidates: Bool) {
        self.init(iceUfrag: identity.iceUfrag, icePwd: identity.icePwd, mediaSections: [
            MediaSection(media: identity.media, mid: identity.mid, candidates: candidates.map(Self.attributeValue),
                         endOfCandidates: endOfCandidates),
        ])
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" || f == "\n" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" || l == "\n" { s = s.dropLast() }
        return String(s)
    }
}
