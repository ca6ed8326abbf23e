/// Turns SDP text into a `SessionDescription`.
///
/// Lenient where real peers are sloppy: LF-only or CRLF endings, blank lines, whitespace
/// around lines (pion's `a=rtcp-fb:96 nack `), a byte-order mark, a missing `s=`, `t=` or
/// `o=`. Strict where a wrong reading would do harm: the first line must be `v=0`; `m=`, `o=`,
/// `c=` and `b=` lines must parse; the attributes the typed model reads (rtpmap, fmtp, rtcp-fb,
/// extmap, fingerprint, setup, ssrc, ssrc-group, mid, msid, group, ice-ufrag, ice-pwd) must be
/// well formed; a mid names one section, a payload type has one rtpmap. Every error names its
/// line.
enum SDPParser {
    /// Offers from real peers are a few kB (Chromium with simulcast: ~20 kB).
    static let maximumSize = 256 * 1024

    static func parse(_ text: String) throws(SDPError) -> SessionDescription {
        guard text.utf8.count <= maximumSize else {
            throw SDPError("description is \(text.utf8.count) bytes, over the \(maximumSize) limit")
        }
        // A byte-order mark from a file saved by an editor is not part of the first line.
        let text = text.hasPrefix("\u{FEFF}") ? text.dropFirst() : text[...]
        var session = SessionDescription()
        var sawVersion = false
        var sawOrigin = false
        var seen = SeenIdentifiers()
        var lineNumber = 0
        // "\r\n" is one Character in Swift: split on it, on "\n", and on a lone "\r".
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            lineNumber += 1
            let line = raw.trimmingWhitespace
            if line.isEmpty { continue }
            guard let type = line.first, line.dropFirst().first == "=" else {
                throw SDPError(line: lineNumber, "expected '<type>=<value>', got '\(line.prefix(40))'")
            }
            let value = line.dropFirst(2)
            if !sawVersion {
                guard type == "v" else { throw SDPError(line: lineNumber, "the first line must be v=0") }
                guard value == "0" else { throw SDPError(line: lineNumber, "unsupported SDP version '\(value.prefix(8))'") }
                sawVersion = true
                continue
            }
            do throws(SDPError) {
                try parseLine(type: type, value: value, into: &session, sawOrigin: &sawOrigin, seen: &seen)
            } catch {
                throw error.line == nil ? error.at(line: lineNumber) : error
            }
        }
        guard sawVersion else { throw SDPError("empty description: no v=0 line") }
        return session
    }

    /// What must be unique: mids across the description (RFC 5888 §4), payload types within
    /// a section's rtpmap lines.
    private struct SeenIdentifiers {
        var mids: Set<String> = []
        var payloadTypes: Set<Int> = []
    }

    private static func parseLine(type: Character, value: Substring, into session: inout SessionDescription,
                                  sawOrigin: inout Bool, seen: inout SeenIdentifiers) throws(SDPError) {
        let inMedia = !session.media.isEmpty
        switch type {
        case "m":
            session.media.append(try parseMediaLine(value))
            seen.payloadTypes = []
        case "a":
            let attribute = SDPAttribute(line: value)
            let isRTP = inMedia ? session.media[session.media.count - 1].isRTP : true
            try validate(attribute, mediaIsRTP: isRTP)
            if inMedia, attribute.name == "mid", let mid = attribute.value {
                guard seen.mids.insert(mid).inserted else { throw SDPError("a=mid:\(mid.prefix(32)) names a second media section") }
            }
            // Only duplicates are refused here; a malformed rtpmap is skipped by `codecs`.
            if inMedia, isRTP, attribute.name == "rtpmap", let value = attribute.value,
               let (pt, _) = try? RTPCodec.splitPayloadType(value, attribute: "rtpmap") {
                guard seen.payloadTypes.insert(pt).inserted else { throw SDPError("a second a=rtpmap for payload type \(pt)") }
            }
            if inMedia {
                session.media[session.media.count - 1].attributes.append(attribute)
            } else {
                session.attributes.append(attribute)
            }
        case "c":
            let connection = try ConnectionData(parsing: value)
            if inMedia { session.media[session.media.count - 1].connection = connection } else { session.connection = connection }
        case "b":
            let bandwidth = try Bandwidth(parsing: value)
            if inMedia { session.media[session.media.count - 1].bandwidths.append(bandwidth) } else { session.bandwidths.append(bandwidth) }
        case "o" where !inMedia:
            guard !sawOrigin else { throw SDPError("a second o= line") }
            session.origin = try Origin(parsing: value)
            sawOrigin = true
        case "s" where !inMedia:
            session.sessionName = String(value)
        case "t" where !inMedia:
            session.timing = String(value)
        case "i", "k":
            let line = SDPLine(type: type, value: String(value))
            if inMedia { SDPLine.insert(line, into: &session.media[session.media.count - 1].otherLines) } else { SDPLine.insert(line, into: &session.otherLines) }
        case "u", "e", "p", "r", "z":
            guard !inMedia else { throw SDPError("'\(type)=' is a session-level line, found inside a media section") }
            SDPLine.insert(SDPLine(type: type, value: String(value)), into: &session.otherLines)
        case "v":
            throw SDPError("a second v= line")
        default:
            throw SDPError(inMedia && "ost".contains(type)
                ? "'\(type)=' is a session-level line, found inside a media section"
                : "unknown line type '\(type)='")
        }
    }

    static func parseMediaLine(_ value: Substring) throws(SDPError) -> MediaDescription {
        let parts = value.split(separator: " ")
        guard parts.count >= 3 else { throw SDPError("m= needs '<media> <port> <proto> <fmt> ...', got '\(value.prefix(60))'") }
        let portParts = parts[1].split(separator: "/", omittingEmptySubsequences: false)
        guard portParts.count <= 2, let port = Int(portParts[0]), (0...65535).contains(port) else {
            throw SDPError("m= port '\(parts[1].prefix(16))' is not in 0...65535")
        }
        var numberOfPorts: Int?
        if portParts.count == 2 {
            guard let count = Int(portParts[1]), count > 0 else { throw SDPError("m= port count '\(portParts[1].prefix(16))' is not a positive number") }
            numberOfPorts = count
        }
        var media = MediaDescription(kind: MediaKind(String(parts[0])), port: port, proto: String(parts[2]),
                                     formats: parts.dropFirst(3).map(String.init), connection: nil)
        media.numberOfPorts = numberOfPorts
        if media.isRTP {
            for format in media.formats {
                guard let pt = Int(format), (0...127).contains(pt) else {
                    throw SDPError("m= payload type '\(format.prefix(16))' is not in 0...127")
                }
            }
        }
        return media
    }

    /// Checks the attributes the typed model reads, so that its accessors never meet a
    /// malformed one (they skip what does not parse, but the parser refuses it first).
    static func validate(_ attribute: SDPAttribute, mediaIsRTP: Bool) throws(SDPError) {
        let value = attribute.value
        func required() throws(SDPError) -> String {
            guard let value, !value.trimmingSpaces.isEmpty else { throw SDPError("a=\(attribute.name) needs a value") }
            return value
        }
        switch attribute.name {
        case "rtpmap" where mediaIsRTP:
            _ = try RTPCodec(rtpmap: required())
        case "fmtp" where mediaIsRTP:
            _ = try RTPCodec.splitPayloadType(required(), attribute: "fmtp")
        case "rtcp-fb" where mediaIsRTP:
            let text = try required()
            let head = text.prefix { $0 != " " }
            if head != "*" { _ = try RTPCodec.splitPayloadType(text, attribute: "rtcp-fb") }
            _ = try RTCPFeedback(parsing: text.dropFirst(head.count))
        case "extmap":
            _ = try ExtMap(parsing: required())
        case "fingerprint":
            _ = try SDPFingerprint(parsing: required())
        case "setup":
            let text = try required()
            guard SetupRole(rawValue: text.lowercased()) != nil else {
                throw SDPError("a=setup '\(text.prefix(16))' is not actpass/active/passive/holdconn")
            }
        case "ssrc":
            _ = try SSRCDescription.parse(required())
        case "ssrc-group":
            _ = try SSRCGroup(parsing: required())
        case "msid":
            _ = try MediaStreamID(parsing: required())
        case "group":
            _ = try SDPGroup(parsing: required())
        case "mid", "ice-ufrag", "ice-pwd", "candidate":
            _ = try required()
        default:
            break
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and carriage returns.
    var trimmingWhitespace: SubSequence {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        let start = firstIndex { !isSpace($0) } ?? endIndex
        let end = self[start...].lastIndex { !isSpace($0) }.map { index(after: $0) } ?? start
        return self[start..<end]
    }
}
