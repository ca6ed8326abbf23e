/// `a=group:<semantics> <mid> ...` (RFC 5888 §5), e.g. `BUNDLE 0 1` (RFC 9143 §7.1).
public struct SDPGroup: Sendable, Equatable, Hashable {
    public var semantics: String
    public var mids: [String]

    public init(semantics: String, mids: [String]) {
        self.semantics = semantics
        self.mids = mids
    }

    init(parsing value: String) throws(SDPError) {
        let parts = value.split(separator: " ").map(String.init)
        guard let semantics = parts.first else { throw SDPError("a=group needs a semantics token") }
        self.init(semantics: semantics, mids: Array(parts.dropFirst()))
    }

    var value: String { ([semantics] + mids).joined(separator: " ") }
}
