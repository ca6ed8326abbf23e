/// Why a session description could not be parsed or negotiated. Carries the line number so a
/// user pasting SDP from a peer can find the culprit.
public struct SDPError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int?
    public var message: String

    public init(line: Int? = nil, _ message: String) {
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "SDP line \(line): \(message)" }
        return "SDP: \(message)"
    }
}
