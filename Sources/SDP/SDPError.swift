/// Why a session description could not be parsed or negotiated. Carries the line number so a
/// user pasting SDP from a peer can find the culprit.
public struct SDPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line number in the parsed text, when the error belongs to a line.
    public var line: Int?
    /// What is wrong, in words.
    public var reason: String

    public init(line: Int? = nil, _ reason: String) {
        self.line = line
        self.reason = reason
    }

    /// The same error, attributed to `line`.
    func at(line: Int) -> SDPError { SDPError(line: line, reason) }

    public var description: String {
        if let line { return "SDP line \(line): \(reason)" }
        return "SDP: \(reason)"
    }
}
