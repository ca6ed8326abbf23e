/// The `a=ssrc:<ssrc> <attribute>[:<value>]` lines of one synchronization source
/// (RFC 5576 §4.1), e.g. `cname`, and Chromium's legacy `msid`.
public struct SSRCDescription: Sendable, Equatable, Hashable {
    public var ssrc: UInt32
    /// Source-level attributes in order (`cname:xyz` is name "cname", value "xyz").
    public var attributes: [SDPAttribute]

    public init(ssrc: UInt32, attributes: [SDPAttribute] = []) {
        self.ssrc = ssrc
        self.attributes = attributes
    }

    public init(ssrc: UInt32, cname: String) {
        self.init(ssrc: ssrc, attributes: [SDPAttribute("cname", cname)])
    }

    /// RFC 7022 canonical name.
    public var cname: String? { attributes.first { $0.name == "cname" }?.value }

    /// Splits `<ssrc> <attribute>` into the SSRC and the source-level attribute.
    static func parse(_ value: String) throws(SDPError) -> (UInt32, SDPAttribute) {
        let head = value.prefix { $0 != " " }
        guard let ssrc = UInt32(head) else { throw SDPError("a=ssrc needs a 32-bit SSRC, got '\(head.prefix(16))'") }
        let rest = value.dropFirst(head.count).drop { $0 == " " }
        guard !rest.isEmpty else { throw SDPError("a=ssrc:\(ssrc) has no attribute") }
        return (ssrc, SDPAttribute(line: rest))
    }
}

/// `a=ssrc-group:<semantics> <ssrc> ...` (RFC 5576 §4.2); `FID <primary> <rtx>` pairs a
/// source with its retransmission stream (RFC 4588 §8.2).
public struct SSRCGroup: Sendable, Equatable, Hashable {
    public var semantics: String
    public var ssrcs: [UInt32]

    public init(semantics: String, ssrcs: [UInt32]) {
        self.semantics = semantics
        self.ssrcs = ssrcs
    }

    init(parsing value: String) throws(SDPError) {
        let parts = value.split(separator: " ")
        guard let semantics = parts.first else { throw SDPError("a=ssrc-group needs semantics") }
        var ssrcs: [UInt32] = []
        for part in parts.dropFirst() {
            guard let ssrc = UInt32(part) else { throw SDPError("a=ssrc-group SSRC '\(part.prefix(16))' is not a 32-bit number") }
            ssrcs.append(ssrc)
        }
        self.init(semantics: String(semantics), ssrcs: ssrcs)
    }

    var value: String { ([semantics] + ssrcs.map { String($0) }).joined(separator: " ") }
}

extension MediaDescription {
    /// Declares the sources this section sends (RFC 5576, RFC 4588 §8.2, as Chromium writes
    /// them): `a=ssrc-group:FID <primary> <rtx>` when there is an RTX stream, then
    /// `a=ssrc:<ssrc> cname:<cname>` for each, replacing any earlier ones.
    public mutating func setSources(primary: UInt32, retransmission: UInt32? = nil, cname: String) {
        ssrcGroups = retransmission.map { [SSRCGroup(semantics: "FID", ssrcs: [primary, $0])] } ?? []
        ssrcs = [primary, retransmission].compactMap { $0 }.map { SSRCDescription(ssrc: $0, cname: cname) }
    }
}
