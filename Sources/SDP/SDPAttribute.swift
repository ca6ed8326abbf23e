/// One `a=` line (RFC 8866 §5.13): a property (`a=rtcp-mux`) has no value, a value attribute
/// (`a=mid:0`) has the text after the first colon, kept exactly as written.
public struct SDPAttribute: Sendable, Equatable, Hashable {
    public var name: String
    public var value: String?

    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }

    /// Parses the text after `a=`.
    init(line: Substring) {
        if let colon = line.firstIndex(of: ":") {
            name = String(line[..<colon])
            value = String(line[line.index(after: colon)...])
        } else {
            name = String(line)
            value = nil
        }
    }

    /// The line without its CRLF: `a=name` or `a=name:value`.
    public var line: String { value.map { "a=\(name):\($0)" } ?? "a=\(name)" }
}
