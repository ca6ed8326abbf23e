/// A codec as SDP describes it: `a=rtpmap:<pt> <name>/<clock>[/<channels>]` with its fmtp
/// parameters and rtcp-fb feedback (RFC 8866 §6.6, RFC 4585 §4.2).
public struct RTPCodec: Sendable, Equatable {
    public var payloadType: Int
    /// As written by the peer ("VP8", "opus", "rtx"); compare case-insensitively.
    public var name: String
    public var clockRate: Int
    public var channels: Int?
    /// fmtp parameters in order, e.g. [("minptime","10"), ("useinbandfec","1")], or ("apt","96").
    public var parameters: [(String, String)] = []
    /// rtcp-fb values: "nack", "nack pli", "ccm fir", "goog-remb", "transport-cc".
    public var feedback: [String] = []

    public init(payloadType: Int, name: String, clockRate: Int, channels: Int? = nil,
                parameters: [(String, String)] = [], feedback: [String] = []) {
        self.payloadType = payloadType
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
        self.parameters = parameters
        self.feedback = feedback
    }

    init(rtpmap value: String) throws(SDPError) {
        guard let (pt, rest) = MediaDescription.splitPayloadType(value), (0...127).contains(pt) else {
            throw SDPError("bad rtpmap '\(value)'")
        }
        let parts = rest.split(separator: "/")
        guard parts.count >= 2, let clock = Int(parts[1]), clock > 0 else {
            throw SDPError("bad rtpmap encoding '\(rest)'")
        }
        self.init(payloadType: pt, name: String(parts[0]), clockRate: clock,
                  channels: parts.count > 2 ? Int(parts[2]) : nil)
    }

    public func parameter(_ key: String) -> String? {
        parameters.first { $0.0.lowercased() == key.lowercased() }?.1
    }

    /// For RTX (RFC 4588 §8.1): the payload type it retransmits.
    public var associatedPayloadType: Int? { parameter("apt").flatMap { Int($0) } }

    /// `<name>/<clock>[/<channels>]`, the key codecs are matched by (case-insensitive name).
    public var encodingKey: String {
        "\(name.lowercased())/\(clockRate)" + (channels.map { "/\($0)" } ?? "")
    }

    var rtpmapValue: String { "\(payloadType) \(name)/\(clockRate)" + (channels.map { "/\($0)" } ?? "") }
    var fmtpValue: String? {
        parameters.isEmpty ? nil : "\(payloadType) " + parameters.map { "\($0.0)=\($0.1)" }.joined(separator: ";")
    }

    static func parseParameters(_ text: String) -> [(String, String)] {
        text.split(separator: ";").compactMap { item in
            let trimmed = item.drop { $0 == " " }
            guard !trimmed.isEmpty else { return nil }
            let pair = trimmed.split(separator: "=", maxSplits: 1)
            return (String(pair[0]), pair.count > 1 ? String(pair[1]) : "")
        }
    }

    public static func == (a: RTPCodec, b: RTPCodec) -> Bool {
        a.payloadType == b.payloadType && a.name == b.name && a.clockRate == b.clockRate
            && a.channels == b.channels && a.feedback == b.feedback
            && a.parameters.map { "\($0.0)=\($0.1)" } == b.parameters.map { "\($0.0)=\($0.1)" }
    }
}

/// `a=extmap:<id>[/<direction>] <uri>` (RFC 8285 §8).
public struct RTPHeaderExtensionMap: Sendable, Equatable {
    public var id: Int
    public var direction: MediaDirection?
    public var uri: String

    public init(id: Int, uri: String, direction: MediaDirection? = nil) {
        self.id = id
        self.uri = uri
        self.direction = direction
    }

    init(parsing value: String) throws(SDPError) {
        let parts = value.split(separator: " ")
        guard parts.count >= 2 else { throw SDPError("bad extmap '\(value)'") }
        let idPart = parts[0].split(separator: "/")
        guard let id = Int(idPart[0]), (1...255).contains(id) else { throw SDPError("bad extmap id '\(value)'") }
        self.init(id: id, uri: String(parts[1]),
                  direction: idPart.count > 1 ? MediaDirection(rawValue: String(idPart[1])) : nil)
    }

    var value: String { "\(id)" + (direction.map { "/\($0.rawValue)" } ?? "") + " \(uri)" }
}
