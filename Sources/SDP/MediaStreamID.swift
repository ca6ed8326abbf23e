/// `a=msid:<stream id> [<track id>]` (RFC 8830 §2): the MediaStream a track belongs to.
/// A stream id of `-` means "no stream" (JSEP, RFC 8829 §5.2.1).
public struct MediaStreamID: Sendable, Equatable, Hashable {
    public var streamID: String
    public var trackID: String?

    public init(streamID: String, trackID: String? = nil) {
        self.streamID = streamID
        self.trackID = trackID
    }

    init(parsing value: String) throws(SDPError) {
        let parts = value.split(separator: " ", maxSplits: 1)
        guard let stream = parts.first else { throw SDPError("a=msid needs a stream id") }
        self.init(streamID: String(stream), trackID: parts.count > 1 ? String(parts[1]) : nil)
    }

    var value: String { trackID.map { "\(streamID) \($0)" } ?? streamID }
}
