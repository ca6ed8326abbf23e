/// `a=extmap:<id>[/<direction>] <uri> [<attributes>]` (RFC 8285 §8): which header extension
/// an id carries. Ids 1-14 fit the one-byte form; 15-255 need two-byte headers, allowed
/// together only with `a=extmap-allow-mixed` (RFC 8285 §6). The attribute as written (pion's
/// `sdp.ExtMap`); what an RTP stream does with the negotiated ids is `RTP.RTPHeaderExtensionMap`,
/// and the URIs are named once, in `RTP.RTPHeaderExtensionURI` (SDP itself only compares them).
public struct ExtMap: Sendable, Equatable, Hashable {
    public var id: Int
    public var direction: MediaDirection?
    public var uri: String
    /// Extension attributes after the URI, as written.
    public var extensionAttributes: String?

    public init(id: Int, uri: String, direction: MediaDirection? = nil, extensionAttributes: String? = nil) {
        self.id = id
        self.uri = uri
        self.direction = direction
        self.extensionAttributes = extensionAttributes
    }

    init(parsing value: String) throws(SDPError) {
        let parts = value.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2 else { throw SDPError("a=extmap needs '<id>[/<direction>] <uri>', got '\(value.prefix(60))'") }
        let idPart = parts[0].split(separator: "/", omittingEmptySubsequences: false)
        guard idPart.count <= 2, let id = Int(idPart[0]), (1...255).contains(id) else {
            throw SDPError("a=extmap id '\(parts[0].prefix(16))' is not in 1...255")
        }
        var direction: MediaDirection?
        if idPart.count == 2 {
            guard let parsed = MediaDirection(rawValue: String(idPart[1])) else {
                throw SDPError("a=extmap direction '\(idPart[1].prefix(16))' is not sendrecv/sendonly/recvonly/inactive")
            }
            direction = parsed
        }
        self.init(id: id, uri: String(parts[1]), direction: direction,
                  extensionAttributes: parts.count > 2 ? String(parts[2]) : nil)
    }

    var value: String {
        "\(id)" + (direction.map { "/\($0.rawValue)" } ?? "") + " \(uri)" + (extensionAttributes.map { " \($0)" } ?? "")
    }
}
