/// Send-side bandwidth estimation in the manner of Google Congestion Control
/// (draft-ietf-rmcat-gcc-02, libwebrtc's `GoogCcNetworkController`): a delay-based part fed
/// by transport-wide feedback, a loss-based part fed by the same feedback and by receiver
/// reports, REMB as a ceiling, and probing at the start and after a drop. Sans-I/O: packets,
/// feedback and the time in; a `TargetTransferRate` and probe clusters out.
///
/// estimate = clamp(min(delay-based, loss-based, REMB), constraints); the encoders' target is
/// the estimate, cut while the congestion window is full. The pacer drains at 2.5 × the
/// estimate so a keyframe leaves within a few frame intervals.
public struct GoogleCongestionController: Sendable {
    public static let pacingFactor = 2.5
    /// RTT samples from feedback (feedback time − send time of the newest packet acked) are
    /// kept this many; their minimum is the RTT (the rest is the receiver's feedback delay).
    static let feedbackRTTWindow = 32
    /// RR loss is used only when transport feedback has been silent this long.
    static let feedbackLossTimeout: Duration = .seconds(2)

    public private(set) var constraints: BitrateConstraints
    public private(set) var current: TargetTransferRate

    public private(set) var feedbackAdapter = TransportFeedbackAdapter()
    public private(set) var acknowledgedBitrateEstimator = AcknowledgedBitrateEstimator()
    public private(set) var probeBitrateEstimator = ProbeBitrateEstimator()
    public private(set) var delayBasedEstimator: DelayBasedBandwidthEstimator
    public private(set) var lossBasedEstimator: LossBasedBandwidthEstimator
    public private(set) var probeController: ProbeController
    public private(set) var congestionWindow = CongestionWindowPushbackController()

    private var rembBitrate: Int?
    private var receiverReportRTT: Duration?
    private var feedbackRTTs: [Duration] = []
    private var lastTransportFeedback: Duration?
    private var networkAvailable = false
    private var lastDelayUpdateWasProbe = false
    private var announced = false

    public init(constraints: BitrateConstraints = BitrateConstraints(), at now: Duration = .zero) {
        self.constraints = constraints
        let start = min(max(constraints.start, constraints.minimum), constraints.maximum)
        delayBasedEstimator = DelayBasedBandwidthEstimator(minimumBitrate: constraints.minimum,
                                                           maximumBitrate: constraints.maximum)
        delayBasedEstimator.setStartBitrate(start)
        lossBasedEstimator = LossBasedBandwidthEstimator(minimumBitrate: constraints.minimum,
                                                         maximumBitrate: constraints.maximum, startBitrate: start)
        probeController = ProbeController(startBitrate: start, maximumBitrate: constraints.maximum)
        current = TargetTransferRate(at: now, targetBitrate: start, pacingRate: Int(Double(start) * Self.pacingFactor),
                                     limitedBy: .configuration)
    }

    /// The round-trip time in use: from receiver reports when there are any, else from feedback.
    public var roundTripTime: Duration? { receiverReportRTT ?? feedbackRTTs.min() }
    /// Bytes sent and not yet acknowledged or reported lost.
    public var dataInFlight: Int { feedbackAdapter.dataInFlight }
    public var acknowledgedBitrate: Int? { acknowledgedBitrateEstimator.bitrate }
    public var delayState: BandwidthUsage { delayBasedEstimator.state }

    /// New bounds (a renegotiated `b=AS`, the user's cap); the target is clamped into them.
    public mutating func setConstraints(_ constraints: BitrateConstraints, at now: Duration) {
        self.constraints = constraints
        delayBasedEstimator.setMinMaxBitrate(minimum: constraints.minimum, maximum: constraints.maximum)
        lossBasedEstimator.minimumBitrate = constraints.minimum
        lossBasedEstimator.maximumBitrate = constraints.maximum
        lossBasedEstimator.updateEstimate(at: now)
        probeController.setMaximumBitrate(constraints.maximum, at: now)
    }

    /// Every packet the pacer released, with its transport-wide sequence number. The first
    /// one says the transport is up: the initial probes are created then.
    public mutating func onPacketSent(_ packet: SentPacket) {
        if !networkAvailable {
            networkAvailable = true
            probeController.onNetworkAvailable(at: packet.sendTime)
        }
        feedbackAdapter.onPacketSent(packet)
    }

    /// A transport-cc feedback message (draft-holmer-rmcat-transport-wide-cc-extensions-01).
    public mutating func onTransportFeedback(_ feedback: RTCPTransportFeedback, at now: Duration) {
        guard let report = feedbackAdapter.process(feedback, at: now) else { return }
        onTransportPacketsFeedback(report)
    }

    /// Feedback already matched against the send history (for callers with their own adapter).
    public mutating func onTransportPacketsFeedback(_ report: TransportPacketsFeedback) {
        let now = report.feedbackTime
        lastTransportFeedback = now

        var lost = 0
        var received: [PacketResult] = []
        received.reserveCapacity(report.packets.count)
        var newestSendTime: Duration?
        for p in report.packets {
            if p.receiveTime == nil {
                lost += 1
            } else {
                received.append(p)
                newestSendTime = max(newestSendTime ?? p.sent.sendTime, p.sent.sendTime)
            }
        }
        if let newestSendTime {
            feedbackRTTs.append(now - newestSendTime)
            if feedbackRTTs.count > Self.feedbackRTTWindow { feedbackRTTs.removeFirst() }
            updateRoundTripTime()
        }
        // A late arrival was counted lost (and expected) before: take both back.
        lossBasedEstimator.updatePacketsLost(lost - report.lateArrivals, of: report.packets.count - report.lateArrivals,
                                             at: now)
        guard !received.isEmpty else { return }

        // Arrival order: the delay filter and the rate windows read the receiver's clock.
        received.sort { ($0.receiveTime ?? .zero) < ($1.receiveTime ?? .zero) }
        acknowledgedBitrateEstimator.incomingPacketFeedback(received)
        for p in received {
            guard let id = p.sent.probeClusterID, let cluster = probeController.cluster(id: id) else { continue }
            _ = probeBitrateEstimator.handleProbe(p, cluster: cluster, at: now)
        }
        var probe = probeBitrateEstimator.fetchAndResetLastResult()
        // A probe only raises the estimate: a failed one is what AIMD already knows.
        if let p = probe, p.bitrate <= delayBasedEstimator.estimate { probe = nil }

        let result = delayBasedEstimator.incomingPacketFeedback(
            received, acknowledgedBitrate: acknowledgedBitrateEstimator.bitrate, probe: probe, at: now)
        if result.updated {
            lossBasedEstimator.updateDelayBasedEstimate(result.targetBitrate, at: now)
            if result.probe {
                lossBasedEstimator.setSendBitrate(result.targetBitrate, at: now)
                acknowledgedBitrateEstimator.expectFastRateChange()
            }
            lastDelayUpdateWasProbe = result.probe
        }
    }

    /// Loss from an RTCP receiver report (RFC 3550 §6.4.2) and the RTT measured from it.
    public mutating func onReceiverReport(fractionLost: Double, roundTripTime: Duration?, at now: Duration) {
        if let roundTripTime {
            receiverReportRTT = roundTripTime
            updateRoundTripTime()
        }
        // Transport feedback counts every packet; an RR only repeats it more coarsely.
        if lastTransportFeedback.map({ now - $0 > Self.feedbackLossTimeout }) ?? true {
            lossBasedEstimator.updateFractionLost(fractionLost, at: now)
        }
    }

    /// The receiver's REMB: a ceiling on the target.
    public mutating func onREMB(bitrate: Int, at now: Duration) {
        rembBitrate = bitrate
        lossBasedEstimator.updateReceiverEstimate(bitrate, at: now)
    }

    private mutating func updateRoundTripTime() {
        guard let rtt = roundTripTime else { return }
        delayBasedEstimator.setRoundTripTime(rtt)
        lossBasedEstimator.roundTripTime = rtt
    }

    /// Periodic work (every 25 ms or so): returns a new target when it changed.
    public mutating func process(at now: Duration) -> TargetTransferRate? {
        lossBasedEstimator.updateEstimate(at: now)
        let estimate = min(max(lossBasedEstimator.currentTarget, constraints.minimum), constraints.maximum)
        probeController.setEstimatedBitrate(estimate, at: now)
        if networkAvailable {
            probeController.process(delayState: delayBasedEstimator.state,
                                    atCapacityBound: delayBasedEstimator.rateControl.isAtCapacityBound
                                        && estimate >= delayBasedEstimator.estimate,
                                    at: now)
        }
        var target = estimate
        if let rtt = feedbackRTTs.min() {
            congestionWindow.updateWindow(target: estimate, roundTripTime: rtt)
            target = congestionWindow.updateTargetBitrate(estimate, outstandingBytes: feedbackAdapter.dataInFlight)
        }

        var next = current
        next.at = now
        next.targetBitrate = target
        next.bandwidthEstimate = estimate
        // The pacer drains at the estimate's pace, not the pushed-back one: the queue must go.
        next.pacingRate = Int(Double(estimate) * Self.pacingFactor)
        // Padding while a probe's result is awaited, never above what the congestion window
        // lets the encoders send (libwebrtc pads at most at the pushed-back target too).
        next.paddingRate = probeController.isProbing ? target : 0
        next.lossRate = lossBasedEstimator.averageLoss
        next.roundTripTime = roundTripTime
        next.limitedBy = target < estimate ? .congestionWindow : limit(for: estimate)
        let changed = !announced || next.targetBitrate != current.targetBitrate
            || next.paddingRate != current.paddingRate || next.limitedBy != current.limitedBy
        current = next
        announced = true
        return changed ? next : nil
    }

    private func limit(for target: Int) -> BandwidthLimit {
        if target >= constraints.maximum || target <= constraints.minimum { return .configuration }
        if let remb = rembBitrate, target >= remb { return .remb }
        if target >= delayBasedEstimator.estimate { return lastDelayUpdateWasProbe ? .probing : .delay }
        return .loss
    }

    /// Probe clusters the pacer should send now (taken once).
    public mutating func takeProbeClusters() -> [ProbeCluster] { probeController.takeProbeClusters() }
}
