/// One transport's pipeline (`RTPTransportController`): which stages are installed and how
/// they are set. A stage left nil is not installed and not advertised: the SDP takes its
/// rtcp-fb and extmap lines from `features(for:)`.
public struct RTPTransportConfiguration: Sendable, Equatable {
    /// The SSRC in the "packet sender" field of the RTCP the transport sends (feedback,
    /// REMB; RFC 4585 §6.1): one of ours, or a dedicated one when we only receive.
    public var rtcpSSRC: UInt32
    /// Extension ids on incoming packets (under BUNDLE one map serves the transport).
    public var receiveExtensions: RTPHeaderExtensionMap
    public var pacer: RTPPacerConfiguration
    /// Bytes added per packet after egress (SRTP's authentication tag: 10 for
    /// AES_CM_128_HMAC_SHA1_80, 16 for AEAD_AES_128_GCM), counted in the budgets and in
    /// `SentPacket.size`.
    public var packetOverhead: Int
    /// The NTP time (RFC 3550 §4, 32.32) at which the caller's clock reads zero: sender
    /// reports carry wallclock time.
    public var ntpTimeAtZero: UInt64
    /// The first transport-wide sequence number.
    public var initialTransportSequenceNumber: UInt16

    public var nackResponder: NACKResponderStage.Configuration?
    public var keyframeRequests: KeyframeRequestStage.Configuration?
    public var reports: RTCPReportStage.Configuration?
    public var remb: REMBStage.Configuration?
    /// transport-cc (send and receive); `transportFeedbackInterval` is the feedback cadence.
    public var transportWideCongestionControl: Bool
    public var transportFeedbackInterval: Duration
    /// The send-side estimator; nil: a fixed target at `fixedTargetBitrate`.
    public var bandwidthEstimation: BandwidthEstimationStage.Configuration?
    /// The target when no estimator is installed (bit/s; the pacer drains at 2.5×).
    public var fixedTargetBitrate: Int

    public init(
        rtcpSSRC: UInt32, receiveExtensions: RTPHeaderExtensionMap = RTPHeaderExtensionMap(),
        pacer: RTPPacerConfiguration = RTPPacerConfiguration(), packetOverhead: Int = 10, ntpTimeAtZero: UInt64 = 0,
        initialTransportSequenceNumber: UInt16 = 0,
        nackResponder: NACKResponderStage.Configuration? = NACKResponderStage.Configuration(),
        keyframeRequests: KeyframeRequestStage.Configuration? = KeyframeRequestStage.Configuration(),
        reports: RTCPReportStage.Configuration? = RTCPReportStage.Configuration(),
        remb: REMBStage.Configuration? = REMBStage.Configuration(),
        transportWideCongestionControl: Bool = true, transportFeedbackInterval: Duration = .milliseconds(50),
        bandwidthEstimation: BandwidthEstimationStage.Configuration? = BandwidthEstimationStage.Configuration(),
        fixedTargetBitrate: Int = 1_000_000
    ) {
        self.rtcpSSRC = rtcpSSRC
        self.receiveExtensions = receiveExtensions
        self.pacer = pacer
        self.packetOverhead = packetOverhead
        self.ntpTimeAtZero = ntpTimeAtZero
        self.initialTransportSequenceNumber = initialTransportSequenceNumber
        self.nackResponder = nackResponder
        self.keyframeRequests = keyframeRequests
        self.reports = reports
        self.remb = remb
        self.transportWideCongestionControl = transportWideCongestionControl
        self.transportFeedbackInterval = transportFeedbackInterval
        self.bandwidthEstimation = bandwidthEstimation
        self.fixedTargetBitrate = fixedTargetBitrate
    }

    /// What the installed stages add to a media section of `kind`: the union the SDP
    /// advertises (in stage order: NACK, keyframe requests, reports, REMB, transport-cc,
    /// estimator).
    public func features(for kind: RTPMediaKind) -> RTPStageFeatures {
        var f = RTPStageFeatures.none
        if let c = nackResponder { f = f.union(NACKResponderStage.features(c, for: kind)) }
        if let c = keyframeRequests { f = f.union(KeyframeRequestStage.features(c, for: kind)) }
        if let c = reports { f = f.union(RTCPReportStage.features(c, for: kind)) }
        if let c = remb { f = f.union(REMBStage.features(c, for: kind)) }
        if transportWideCongestionControl { f = f.union(TransportFeedbackStage.features(for: kind)) }
        if let c = bandwidthEstimation { f = f.union(BandwidthEstimationStage.features(c, for: kind)) }
        return f
    }
}

/// What the pipeline tells the glue.
public enum RTPTransportEvent: Sendable, Equatable {
    /// Retarget the encoders (their share of `targetBitrate`).
    case targetChanged(TargetTransferRate)
    /// The encoder of the stream with this SSRC should produce a keyframe (already rate-limited).
    case keyframeRequested(ssrc: UInt32, reason: KeyframeRequestReason)
}

/// Which SRTP context protects an emitted packet.
public enum RTPTransmitKind: Sendable, Equatable {
    case rtp
    case rtcp
}

/// A stream registered with the controller.
public struct RTPTransportStreamID: Sendable, Hashable {
    public let index: Int
}
