/// `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8): `AS` in kbit/s, `TIAS` in bit/s (RFC 3890).
public struct Bandwidth: Sendable, Equatable, Hashable {
    public var type: String
    public var value: UInt64

    public init(type: String, value: UInt64) {
        self.type = type
        self.value = value
    }

    init(parsing text: Substring) throws(SDPError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let value = UInt64(parts[1]) else {
            throw SDPError("b= needs '<type>:<number>', got '\(text.prefix(40))'")
        }
        self.init(type: String(parts[0]), value: value)
    }

    var sdpValue: String { "\(type):\(value)" }
}
