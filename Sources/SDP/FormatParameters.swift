/// The text of `a=fmtp:<pt> <parameters>` (RFC 8866 §6.15). The raw text is what gets
/// written back; most codecs use `key=value;key=value`, which `parameters` reads.
/// Some do not (telephone-event `0-15`, RED `111/111`): those keep their text as is.
public struct FormatParameters: Sendable, Equatable, Hashable, ExpressibleByDictionaryLiteral {
    public var raw: String

    public init(raw: String = "") {
        self.raw = raw
    }

    /// Builds `k1=v1;k2=v2` from pairs in order.
    public init(_ pairs: [(String, String)]) {
        raw = pairs.map { "\($0.0)=\($0.1)" }.joined(separator: ";")
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    public var isEmpty: Bool { raw.isEmpty }

    /// The `key=value` pairs in order; an item without `=` has an empty value.
    public var parameters: [(name: String, value: String)] {
        raw.split(separator: ";").compactMap { item in
            let trimmed = item.trimmingSpaces
            guard !trimmed.isEmpty else { return nil }
            let pair = trimmed.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(pair[0].trimmingSpaces), pair.count > 1 ? String(pair[1].trimmingSpaces) : "")
        }
    }

    /// The value of parameter `name` (case-insensitive, RFC 8866 §6.15 leaves case to the
    /// format; every format here treats names case-insensitively). Setting rewrites the text.
    public subscript(name: String) -> String? {
        get { parameters.first { $0.name.lowercased() == name.lowercased() }?.value }
        set {
            var pairs = parameters.map { ($0.name, $0.value) }
            if let i = pairs.firstIndex(where: { $0.0.lowercased() == name.lowercased() }) {
                if let newValue { pairs[i].1 = newValue } else { pairs.remove(at: i) }
            } else if let newValue {
                pairs.append((name, newValue))
            }
            self = FormatParameters(pairs)
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: SubSequence {
        let start = firstIndex { $0 != " " && $0 != "\t" } ?? endIndex
        let end = self[start...].lastIndex { $0 != " " && $0 != "\t" }.map { index(after: $0) } ?? start
        return self[start..<end]
    }
}
