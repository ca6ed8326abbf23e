/// What a pipeline stage adds to the session description: the `a=rtcp-fb` values it answers
/// or sends (RFC 4585 §4.2, RFC 5104 §7.1) and the `a=extmap` URIs it reads or writes
/// (RFC 8285 §5). The SDP offer/answer takes these from the installed stages, so what is
/// advertised is what is implemented. Plain strings: the RTP module does not import SDP.
public struct RTPStageFeatures: Sendable, Equatable {
    /// `a=rtcp-fb:<pt> <value>` values, e.g. "nack", "nack pli", "ccm fir", "goog-remb",
    /// "transport-cc".
    public var rtcpFeedback: [String]
    /// `a=extmap` URIs.
    public var headerExtensions: [String]

    public init(rtcpFeedback: [String] = [], headerExtensions: [String] = []) {
        self.rtcpFeedback = rtcpFeedback
        self.headerExtensions = headerExtensions
    }

    public static let none = RTPStageFeatures()

    /// Both sets, in first-seen order, each value once.
    public func union(_ other: RTPStageFeatures) -> RTPStageFeatures {
        var result = self
        for value in other.rtcpFeedback where !result.rtcpFeedback.contains(value) { result.rtcpFeedback.append(value) }
        for uri in other.headerExtensions where !result.headerExtensions.contains(uri) { result.headerExtensions.append(uri) }
        return result
    }
}

/// The `a=rtcp-fb` values the stages use (RFC 4585 §4.2, RFC 5104 §7.1,
/// draft-alvestrand-rmcat-remb §2, draft-holmer-rmcat-transport-wide-cc-extensions-01 §4).
public enum RTCPFeedbackValue {
    public static let nack = "nack"
    public static let pictureLossIndication = "nack pli"
    public static let fullIntraRequest = "ccm fir"
    public static let receiverEstimatedMaximumBitrate = "goog-remb"
    public static let transportWideCongestionControl = "transport-cc"
}
