/// REMB both ways (draft-alvestrand-rmcat-remb): incoming REMB is a ceiling for the
/// send-side estimator; on the receive side the abs-send-time of arriving packets feeds the
/// `RemoteBitrateEstimator`, whose estimate goes back as REMB. Peers without transport-cc
/// (aiortc, older GStreamer) only estimate this way.
public struct REMBStage: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// How often the receive-side estimator is asked whether a REMB is due.
        public var processInterval: Duration = .milliseconds(50)
        /// The most the REMB ever says (a receiver's cap on what it wants, bit/s).
        public var maximumBitrate: Int

        public init(maximumBitrate: Int = 30_000_000) {
            self.maximumBitrate = maximumBitrate
        }
    }

    public let configuration: Configuration
    public private(set) var estimator: RemoteBitrateEstimator
    public private(set) var rembSent = 0
    public private(set) var rembReceived = 0
    /// Arrivals given to the estimator, and the last abs-send-time seen.
    public private(set) var packetsReceived = 0
    public private(set) var lastAbsSendTime: UInt32?
    private(set) var nextProcess: Duration?

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        estimator = RemoteBitrateEstimator(maximumBitrate: configuration.maximumBitrate)
    }

    /// goog-remb on video (as libwebrtc offers it); abs-send-time on both, since every packet
    /// of the transport counts for the receiver's estimate.
    public func features(for kind: RTPMediaKind) -> RTPStageFeatures { Self.features(configuration, for: kind) }

    public static func features(_ configuration: Configuration, for kind: RTPMediaKind) -> RTPStageFeatures {
        RTPStageFeatures(
            rtcpFeedback: kind == .video ? [RTCPFeedbackValue.receiverEstimatedMaximumBitrate] : [],
            headerExtensions: [RTPHeaderExtensionURI.absSendTime])
    }

    mutating func packetReceived(absSendTime: UInt32, size: Int, ssrc: UInt32, at now: Duration) {
        estimator.onPacketReceived(absSendTime: absSendTime, size: size, ssrc: ssrc, at: now)
        packetsReceived += 1
        lastAbsSendTime = absSendTime
        if nextProcess == nil { nextProcess = now + configuration.processInterval }
    }

    /// The REMB due at `now`, if any.
    mutating func process(at now: Duration) -> (bitrate: Int, ssrcs: [UInt32])? {
        guard let due = nextProcess, due <= now else { return nil }
        nextProcess = now + configuration.processInterval
        guard let remb = estimator.process(at: now) else { return nil }
        rembSent += 1
        return remb
    }

    mutating func countReceived() { rembReceived += 1 }
}
