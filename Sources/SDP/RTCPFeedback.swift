/// One `a=rtcp-fb:<pt> <type> [<parameter>]` capability (RFC 4585 §4.2), e.g. `nack`,
/// `nack pli`, `ccm fir` (RFC 5104), `goog-remb`, `transport-cc`.
public struct RTCPFeedback: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var type: String
    public var parameter: String?

    public init(type: String, parameter: String? = nil) {
        self.type = type
        self.parameter = parameter
    }

    /// Parses `<type> [<parameter>]`, the text after the payload type.
    public init(parsing text: some StringProtocol) throws(SDPError) {
        let trimmed = text.drop { $0 == " " }
        let type = trimmed.prefix { $0 != " " }
        guard !type.isEmpty else { throw SDPError("a=rtcp-fb has no feedback type") }
        let parameter = trimmed.dropFirst(type.count).drop { $0 == " " }
        self.init(type: String(type), parameter: parameter.isEmpty ? nil : String(parameter))
    }

    public static let nack = RTCPFeedback(type: "nack")
    public static let pli = RTCPFeedback(type: "nack", parameter: "pli")
    public static let fir = RTCPFeedback(type: "ccm", parameter: "fir")
    public static let remb = RTCPFeedback(type: "goog-remb")
    public static let transportCC = RTCPFeedback(type: "transport-cc")

    /// Case-insensitive comparison, as the tokens are (RFC 4585 §4.2).
    public func matches(_ other: RTCPFeedback) -> Bool {
        type.lowercased() == other.type.lowercased() && parameter?.lowercased() == other.parameter?.lowercased()
    }

    public var description: String { parameter.map { "\(type) \($0)" } ?? type }
}
