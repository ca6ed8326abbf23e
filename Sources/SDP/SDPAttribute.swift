/// One `a=` line (RFC 8866 §5.13): a property (`a=rtcp-mux`) has no value, a value attribute
/// (`a=mid:0`) has the text after the first colon.
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

    var line: String { value.map { "a=\(name):\($0)" } ?? "a=\(name)" }
}

/// Attribute lookups shared by the session and media levels.
public protocol SDPAttributeContainer {
    var attributes: [SDPAttribute] { get set }
}

extension SDPAttributeContainer {
    /// The value of the first attribute named `name` ("" for a property that is present).
    public func attribute(_ name: String) -> String? {
        attributes.first { $0.name == name }.map { $0.value ?? "" }
    }

    /// The values of every attribute named `name`, in order.
    public func attributes(_ name: String) -> [String] {
        attributes.filter { $0.name == name }.map { $0.value ?? "" }
    }

    public func hasAttribute(_ name: String) -> Bool {
        attributes.contains { $0.name == name }
    }

    public mutating func setAttribute(_ name: String, _ value: String?) {
        if let i = attributes.firstIndex(where: { $0.name == name }) {
            attributes[i].value = value
            let kept = attributes[i]
            attributes.removeAll { $0.name == name && $0 != kept }
        } else {
            attributes.append(SDPAttribute(name, value))
        }
    }

    public mutating func removeAttributes(_ name: String) {
        attributes.removeAll { $0.name == name }
    }

    /// `a=ice-ufrag`, `a=ice-pwd` (RFC 8839 §5.4).
    public var iceUfrag: String? { attribute("ice-ufrag") }
    public var icePwd: String? { attribute("ice-pwd") }
    /// `a=ice-options` tokens, e.g. ["trickle"].
    public var iceOptions: [String] {
        attributes("ice-options").flatMap { $0.split(separator: " ").map(String.init) }
    }
    /// `a=fingerprint` (RFC 8122 §5), first one.
    public var fingerprint: SDPFingerprint? {
        attributes("fingerprint").lazy.compactMap { try? SDPFingerprint(parsing: $0) }.first
    }
    /// `a=setup` (RFC 4145 §4).
    public var setup: SDPSetupRole? { attribute("setup").flatMap(SDPSetupRole.init(rawValue:)) }
}
