/// An SDP session description (RFC 8866), parsed leniently in what it ignores and strictly in
/// what it needs: unknown lines and attributes are kept so they survive a round trip, bad
/// structure is an `SDPError` with the line number, never a trap.
public struct SessionDescription: Sendable, Equatable, SDPAttributeContainer {
    /// `o=<username> <sess-id> <sess-version> IN IP4 <address>`.
    public var origin: String
    public var sessionName: String
    /// `t=` (JSEP always writes "0 0").
    public var timing: String
    public var connection: String?
    public var bandwidths: [String] = []
    public var attributes: [SDPAttribute] = []
    public var media: [MediaDescription] = []

    public init(origin: String = "- 0 0 IN IP4 127.0.0.1", sessionName: String = "-",
                timing: String = "0 0", attributes: [SDPAttribute] = [],
                media: [MediaDescription] = []) {
        self.origin = origin
        self.sessionName = sessionName
        self.timing = timing
        self.attributes = attributes
        self.media = media
    }

    /// Upper bound on what is parsed: offers from real peers are a few kB; a megabyte is
    /// not a session description.
    public static let maximumSize = 256 * 1024

    public init(parsing text: String) throws(SDPError) {
        guard text.utf8.count <= Self.maximumSize else {
            throw SDPError("description is \(text.utf8.count) bytes, over the \(Self.maximumSize) limit")
        }
        var origin: String?
        var sessionName: String?
        var timing: String?
        var sawVersion = false
        self.init()
        var lineNumber = 0
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw[...]
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            guard line.count >= 2, line.dropFirst().first == "=", let type = line.first else {
                throw SDPError(line: lineNumber, "expected '<type>=<value>', got '\(line.prefix(40))'")
            }
            let value = line.dropFirst(2)
            if !sawVersion {
                guard type == "v", value == "0" else { throw SDPError(line: lineNumber, "the first line must be v=0") }
                sawVersion = true
                continue
            }
            switch type {
            case "m":
                media.append(try Self.parseMediaLine(value, line: lineNumber))
            case "a":
                let attribute = SDPAttribute(line: value)
                if media.isEmpty { attributes.append(attribute) } else { media[media.count - 1].attributes.append(attribute) }
            case "c":
                if media.isEmpty { connection = String(value) } else { media[media.count - 1].connection = String(value) }
            case "b":
                if media.isEmpty { bandwidths.append(String(value)) } else { media[media.count - 1].bandwidths.append(String(value)) }
            case "o" where media.isEmpty: origin = String(value)
            case "s" where media.isEmpty: sessionName = String(value)
            case "t" where media.isEmpty: timing = String(value)
            default:
                continue  // i=, u=, e=, p=, r=, z=, k=: informational, ignored (RFC 8866 §5)
            }
        }
        guard sawVersion else { throw SDPError("empty description") }
        guard let origin else { throw SDPError("missing o= line") }
        self.origin = origin
        self.sessionName = sessionName ?? "-"
        self.timing = timing ?? "0 0"
    }

    static func parseMediaLine(_ value: Substring, line: Int) throws(SDPError) -> MediaDescription {
        let parts = value.split(separator: " ")
        guard parts.count >= 3 else { throw SDPError(line: line, "m= needs '<media> <port> <proto> <fmt>...'") }
        let portText = parts[1].split(separator: "/").first ?? parts[1]
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw SDPError(line: line, "bad port '\(parts[1])'")
        }
        return MediaDescription(media: String(parts[0]), port: port, proto: String(parts[2]),
                                formats: parts.dropFirst(3).map(String.init), connection: nil)
    }

    /// `a=group:BUNDLE 0 1` (RFC 9143 §7.1): the mids bundled together, first group only.
    public var bundleGroup: [String]? {
        attributes("group").lazy.compactMap { value -> [String]? in
            let parts = value.split(separator: " ").map(String.init)
            return parts.first == "BUNDLE" ? Array(parts.dropFirst()) : nil
        }.first
    }

    /// Transport attributes are read from the media section first, then the session level
    /// (RFC 8839 §5.4, RFC 8122 §5: either place is allowed).
    public func iceCredentials(for index: Int) -> (ufrag: String, pwd: String)? {
        guard media.indices.contains(index) else { return nil }
        let m = media[index]
        guard let ufrag = m.iceUfrag ?? iceUfrag, let pwd = m.icePwd ?? icePwd else { return nil }
        return (ufrag, pwd)
    }

    public func fingerprint(for index: Int) -> SDPFingerprint? {
        guard media.indices.contains(index) else { return fingerprint }
        return media[index].fingerprint ?? fingerprint
    }

    public func setupRole(for index: Int) -> SDPSetupRole? {
        guard media.indices.contains(index) else { return setup }
        return media[index].setup ?? setup
    }

    /// The text, CRLF line endings (RFC 8866 §5).
    public var text: String {
        var lines = ["v=0", "o=\(origin)", "s=\(sessionName)"]
        if let connection { lines.append("c=\(connection)") }
        lines += bandwidths.map { "b=\($0)" }
        lines.append("t=\(timing)")
        lines += attributes.map(\.line)
        for m in media {
            lines.append("m=\(m.media) \(m.port) \(m.proto) \(m.formats.joined(separator: " "))")
            if let connection = m.connection { lines.append("c=\(connection)") }
            lines += m.bandwidths.map { "b=\($0)" }
            lines += m.attributes.map(\.line)
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}

extension MediaDescription {
    /// Adds the rtpmap, rtcp-fb and fmtp lines of `codec` and its payload type to the m-line.
    public mutating func add(_ codec: RTPCodec) {
        formats.append(String(codec.payloadType))
        attributes.append(SDPAttribute("rtpmap", codec.rtpmapValue))
        for fb in codec.feedback { attributes.append(SDPAttribute("rtcp-fb", "\(codec.payloadType) \(fb)")) }
        if let fmtp = codec.fmtpValue { attributes.append(SDPAttribute("fmtp", fmtp)) }
    }

    public mutating func add(_ extensionMap: RTPHeaderExtensionMap) {
        attributes.append(SDPAttribute("extmap", extensionMap.value))
    }
}
