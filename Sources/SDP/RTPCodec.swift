/// A codec as an m-section describes it: `a=rtpmap:<pt> <name>/<clock>[/<channels>]` joined
/// with its `a=fmtp` and `a=rtcp-fb` lines (RFC 8866 §6.6 and §6.15, RFC 4585 §4.2).
public struct RTPCodec: Sendable, Equatable, Hashable {
    public var payloadType: Int
    /// As written by the peer ("VP8", "opus", "rtx"); compare case-insensitively.
    public var name: String
    public var clockRate: Int
    /// Audio channels; nil when the rtpmap omits it (meaning 1, RFC 8866 §6.6).
    public var channels: Int?
    /// `a=fmtp` text, e.g. `minptime=10;useinbandfec=1` or `apt=96`.
    public var parameters: FormatParameters
    /// `a=rtcp-fb` lines for this payload type (and `*` ones), in order.
    public var feedback: [RTCPFeedback]

    public init(payloadType: Int, name: String, clockRate: Int, channels: Int? = nil,
                parameters: FormatParameters = FormatParameters(), feedback: [RTCPFeedback] = []) {
        self.payloadType = payloadType
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
        self.parameters = parameters
        self.feedback = feedback
    }

    /// An RTX codec (RFC 4588 §8.1) retransmitting `primary`.
    public static func rtx(payloadType: Int, for primary: Int, clockRate: Int = 90000) -> RTPCodec {
        RTPCodec(payloadType: payloadType, name: "rtx", clockRate: clockRate, parameters: ["apt": String(primary)])
    }

    /// Parses the rtpmap value `<pt> <encoding name>/<clock rate>[/<channels>]`.
    init(rtpmap value: String) throws(SDPError) {
        let (pt, rest) = try Self.splitPayloadType(value, attribute: "rtpmap")
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, !parts[0].contains(" ") else {
            throw SDPError("a=rtpmap needs '<pt> <name>/<clock>[/<channels>]', got '\(value.prefix(60))'")
        }
        guard let clock = Int(parts[1]), clock > 0 else {
            throw SDPError("a=rtpmap clock rate '\(parts[1].prefix(16))' is not a positive number")
        }
        var channels: Int?
        if parts.count == 3 {
            guard let count = Int(parts[2]), count > 0 else {
                throw SDPError("a=rtpmap channel count '\(parts[2].prefix(16))' is not a positive number")
            }
            channels = count
        }
        self.init(payloadType: pt, name: String(parts[0]), clockRate: clock, channels: channels)
    }

    /// The static payload types of RFC 3551 §6 that peers list without an rtpmap.
    static func staticPayloadType(_ pt: Int) -> RTPCodec? {
        let table: [Int: (String, Int, Int?)] = [
            0: ("PCMU", 8000, 1), 3: ("GSM", 8000, 1), 4: ("G723", 8000, 1), 5: ("DVI4", 8000, 1),
            6: ("DVI4", 16000, 1), 7: ("LPC", 8000, 1), 8: ("PCMA", 8000, 1), 9: ("G722", 8000, 1),
            10: ("L16", 44100, 2), 11: ("L16", 44100, 1), 12: ("QCELP", 8000, 1), 13: ("CN", 8000, 1),
            14: ("MPA", 90000, nil), 15: ("G728", 8000, 1), 16: ("DVI4", 11025, 1),
            17: ("DVI4", 22050, 1), 18: ("G729", 8000, 1), 25: ("CelB", 90000, nil),
            26: ("JPEG", 90000, nil), 28: ("nv", 90000, nil), 31: ("H261", 90000, nil),
            32: ("MPV", 90000, nil), 33: ("MP2T", 90000, nil), 34: ("H263", 90000, nil),
        ]
        return table[pt].map { RTPCodec(payloadType: pt, name: $0.0, clockRate: $0.1, channels: $0.2) }
    }

    /// `<pt> <rest>` with pt in 0...127 (RFC 3550 §5.1: a 7-bit field).
    static func splitPayloadType(_ value: String, attribute: String) throws(SDPError) -> (Int, Substring) {
        let head = value.prefix { $0 != " " }
        guard let pt = Int(head), (0...127).contains(pt) else {
            throw SDPError("a=\(attribute) payload type '\(head.prefix(16))' is not in 0...127")
        }
        return (pt, value.dropFirst(head.count).drop { $0 == " " })
    }

    /// RTX (RFC 4588): retransmits another payload type.
    public var isRetransmission: Bool { name.lowercased() == "rtx" }
    /// RED, ULPFEC, FlexFEC: protect other payload types, are not media codecs of their own.
    public var isResilience: Bool {
        let lower = name.lowercased()
        return lower == "red" || lower == "ulpfec" || lower.hasPrefix("flexfec")
    }

    /// For RTX (RFC 4588 §8.1): the associated payload type it retransmits.
    public var apt: Int? {
        get { parameters["apt"].flatMap { Int($0) } }
        set { parameters["apt"] = newValue.map { String($0) } }
    }

    /// Channel count with the RFC 8866 §6.6 default of 1.
    public var channelCount: Int { channels ?? 1 }

    var rtpmapValue: String { "\(payloadType) \(name)/\(clockRate)" + (channels.map { "/\($0)" } ?? "") }
}
