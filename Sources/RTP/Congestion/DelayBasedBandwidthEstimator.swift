/// The delay-based half of GCC (draft-ietf-rmcat-gcc-02 §5; libwebrtc's `DelayBasedBwe`):
/// arrivals grouped into 5 ms send bursts, the trendline of their one-way delay variation,
/// the adaptive-threshold detector, and AIMD on the acknowledged rate. Shared by the send
/// side (transport feedback) and the receive side (abs-send-time, for REMB).
public struct DelayBasedBandwidthEstimator: Sendable {
    public struct Result: Sendable, Equatable {
        public var updated = false
        public var probe = false
        public var targetBitrate = 0
        /// The detector went from underusing back to normal in this feedback: the queues
        /// drained, a good moment to probe for what a drop took away.
        public var recoveredFromOveruse = false
    }

    public private(set) var interArrival = InterArrivalDelta()
    public private(set) var trendline = TrendlineEstimator()
    public private(set) var rateControl: AimdRateControl
    private var lastSeenPacket: Duration?
    /// A packet this much after the previous one starts a new stream: old delays mean nothing.
    static let streamTimeout: Duration = .seconds(2)

    public init(minimumBitrate: Int, maximumBitrate: Int) {
        rateControl = AimdRateControl(minimumBitrate: minimumBitrate, maximumBitrate: maximumBitrate)
    }

    public var state: BandwidthUsage { trendline.state }
    public var estimate: Int { rateControl.currentBitrate }

    public mutating func setStartBitrate(_ bitrate: Int) { rateControl.setStartBitrate(bitrate) }
    public mutating func setMinMaxBitrate(minimum: Int, maximum: Int) {
        rateControl.minimumBitrate = minimum
        rateControl.maximumBitrate = maximum
    }
    public mutating func setRoundTripTime(_ rtt: Duration) { rateControl.roundTripTime = rtt }

    /// One packet's send and arrival times; `now` is when its feedback reached us.
    public mutating func incomingPacket(sendTime: Duration, arrivalTime: Duration, size: Int, at now: Duration) {
        if let last = lastSeenPacket, now - last > Self.streamTimeout {
            interArrival = InterArrivalDelta()
            trendline = TrendlineEstimator()
        }
        lastSeenPacket = now
        guard let d = interArrival.compute(sendTime: sendTime, arrivalTime: arrivalTime, systemTime: now,
                                           size: size) else { return }
        trendline.update(arrivalDeltaMs: d.arrivalDelta.milliseconds, sendDeltaMs: d.sendDelta.milliseconds,
                         arrivalTimeMs: arrivalTime.milliseconds)
    }

    /// Received packets of one feedback, in arrival order, then the estimate update.
    public mutating func incomingPacketFeedback(_ received: [PacketResult], acknowledgedBitrate: Int?,
                                                probe: ProbeBitrateEstimator.Result?, at now: Duration) -> Result {
        var recovered = false
        var previousState = state
        for p in received {
            guard let arrival = p.receiveTime else { continue }
            incomingPacket(sendTime: p.sent.sendTime, arrivalTime: arrival, size: p.sent.size, at: now)
            if previousState == .underusing && state == .normal { recovered = true }
            previousState = state
        }
        return maybeUpdateEstimate(acknowledgedBitrate: acknowledgedBitrate, probe: probe,
                                   recoveredFromOveruse: recovered, at: now)
    }

    public mutating func maybeUpdateEstimate(acknowledgedBitrate: Int?, probe: ProbeBitrateEstimator.Result?,
                                             recoveredFromOveruse: Bool, at now: Duration) -> Result {
        var result = Result()
        if state == .overusing {
            if let ack = acknowledgedBitrate, rateControl.timeToReduceFurther(at: now, acknowledgedRate: ack) {
                rateControl.update(.overusing, acknowledgedRate: ack, at: now)
                result.updated = true
            } else if acknowledgedBitrate == nil, rateControl.isInitialized,
                      rateControl.timeToReduceFurther(at: now, acknowledgedRate: rateControl.currentBitrate / 2 - 1) {
                // Overuse before any rate was measured: halve.
                rateControl.setEstimate(rateControl.currentBitrate / 2, at: now)
                result.updated = true
            }
        } else if let probe {
            rateControl.onProbeResult(probe.bitrate, linkSaturated: probe.linkSaturated, at: now)
            result.updated = true
            result.probe = true
        } else {
            rateControl.update(state, acknowledgedRate: acknowledgedBitrate, at: now)
            result.updated = rateControl.isInitialized
            result.recoveredFromOveruse = recoveredFromOveruse
        }
        result.targetBitrate = rateControl.currentBitrate
        return result
    }
}
