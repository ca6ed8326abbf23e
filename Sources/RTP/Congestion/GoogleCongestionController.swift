/// Send-side bandwidth estimation in the manner of Google Congestion Control
/// (draft-ietf-rmcat-gcc-02): a delay-based part fed by transport-wide feedback, a loss-based
/// part fed by the same feedback and by receiver reports, REMB as a ceiling, and probing at
/// the start and after a drop. Sans-I/O: packets, feedback and the time in; a
/// `TargetTransferRate` out.
///
/// PLACEHOLDER API (the real estimator replaces the body, keeping these signatures): it
/// holds the start bitrate, follows REMB down and never probes.
public struct GoogleCongestionController: Sendable {
    public private(set) var constraints: BitrateConstraints
    public private(set) var current: TargetTransferRate

    public init(constraints: BitrateConstraints = BitrateConstraints(), at now: Duration = .zero) {
        self.constraints = constraints
        current = TargetTransferRate(at: now, targetBitrate: constraints.start,
                                     pacingRate: constraints.start * 5 / 2, limitedBy: .configuration)
    }

    /// New bounds (a renegotiated `b=AS`, the user's cap); the target is clamped into them.
    public mutating func setConstraints(_ constraints: BitrateConstraints, at now: Duration) {
        self.constraints = constraints
        current.targetBitrate = min(max(current.targetBitrate, constraints.minimum), constraints.maximum)
    }

    /// Every packet the pacer released, with its transport-wide sequence number.
    public mutating func onPacketSent(_ packet: SentPacket) {}

    /// A transport-cc feedback message (RFC: draft-holmer-rmcat-transport-wide-cc-extensions-01).
    public mutating func onTransportFeedback(_ feedback: RTCPTransportFeedback, at now: Duration) {}

    /// Loss from an RTCP receiver report (RFC 3550 §6.4.2) and the RTT measured from it.
    public mutating func onReceiverReport(fractionLost: Double, roundTripTime: Duration?, at now: Duration) {}

    /// The receiver's REMB: a ceiling on the target.
    public mutating func onREMB(bitrate: Int, at now: Duration) {
        current.targetBitrate = min(max(bitrate, constraints.minimum), constraints.maximum)
        current.pacingRate = current.targetBitrate * 5 / 2
        current.limitedBy = .remb
    }

    /// Periodic work (every 25 ms or so): returns a new target when it changed.
    public mutating func process(at now: Duration) -> TargetTransferRate? { nil }

    /// Probe clusters the pacer should send now (taken once).
    public mutating func takeProbeClusters() -> [ProbeCluster] { [] }
}
