/// Schedules the sender reports of the streams (RFC 3550 §6.4.1; the report bodies stay with
/// each `RTPSendStream`): libwebrtc's fixed intervals, 1 s for video and 5 s for audio, instead of
/// RFC 3550 §6.2's bandwidth share (at these rates the share allows more than this).
/// Receiver reports stay with each `RTPReceiveStream`, which schedules them itself.
public struct RTCPReportStage: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var videoInterval: Duration = .seconds(1)
        public var audioInterval: Duration = .seconds(5)
        /// The first report follows the first packet this soon, so RTT is known early.
        public var firstReportDelay: Duration = .milliseconds(500)

        public init() {}
    }

    public let configuration: Configuration
    public private(set) var senderReportsSent = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Reports are part of RTP/AVPF itself: nothing to add to the SDP.
    public func features(for kind: RTPMediaKind) -> RTPStageFeatures { Self.features(configuration, for: kind) }

    public static func features(_ configuration: Configuration, for kind: RTPMediaKind) -> RTPStageFeatures { .none }

    public func interval(for kind: RTPMediaKind) -> Duration {
        kind == .video ? configuration.videoInterval : configuration.audioInterval
    }

    mutating func countReport() { senderReportsSent += 1 }
}
