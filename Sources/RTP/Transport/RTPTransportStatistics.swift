/// Everything the pipeline counted: what left, and every packet or request it dropped or
/// refused (the team's rule: nothing dropped silently).
public struct RTPTransportStatistics: Sendable, Equatable {
    public var pacer = RTPPacerStatistics()
    public var nack = NACKResponderStage.Statistics()
    public var keyframeRequests = KeyframeRequestStage.Statistics()
    /// Transport-wide sequence numbers written at egress.
    public var transportSequenceNumbersSent: Int64 = 0
    /// Packets egress found without the slot their stream negotiated, or could not parse.
    public var packetsWithoutSlot = 0
    /// NACKs and keyframe requests that arrived for a stage not installed (not advertised).
    public var nacksNotNegotiated = 0
    public var keyframeRequestsNotNegotiated = 0
    /// Padding the pacer asked for that no stream could make (no RTX stream).
    public var paddingUnavailable = 0
    /// Media given for a stream that was removed.
    public var packetsForRemovedStreams = 0
    public var senderReportsSent = 0
    public var transportFeedbackSent = 0
    public var transportFeedbackReceived = 0
    public var rembSent = 0
    public var rembReceived = 0
    /// RTCP messages that could not be written or emitted.
    public var rtcpDropped = 0

    public init() {}
}
