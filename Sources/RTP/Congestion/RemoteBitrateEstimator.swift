/// Receive-side bandwidth estimation for peers that want REMB (draft-alvestrand-rmcat-remb;
/// libwebrtc's `RemoteBitrateEstimatorAbsSendTime`): the same delay-based detector and AIMD
/// as the send side, fed with abs-send-time
/// (http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time) and local arrival times, and
/// decreasing from the incoming rate.
public struct RemoteBitrateEstimator: Sendable {
    /// A stream silent this long no longer counts among the REMB's SSRCs.
    static let streamTimeout: Duration = .seconds(2)
    /// A REMB goes out at once when the estimate fell to 97 % of the last one sent.
    static let immediateDropFraction = 0.97
    static let rembInterval: Duration = .seconds(1)
    /// abs-send-time wraps every 64 s (6.18 fixed point): deltas are taken modulo 2^24.
    static let absSendTimeWrap: Int64 = 1 << 24

    private var detector: DelayBasedBandwidthEstimator
    private var incomingBitrate = RateStatistics()
    private var ssrcs: [UInt32: Duration] = [:]
    private var lastAbsSendTime: UInt32?
    /// The newest abs-send-time unwrapped, in 2^-18 s units.
    private var newestSendTicks: Int64 = 0
    private var lastUpdate: Duration?
    private var lastREMB: (time: Duration, bitrate: Int)?
    private var hasEstimate = false

    public init(minimumBitrate: Int = 30_000, maximumBitrate: Int = 30_000_000) {
        detector = DelayBasedBandwidthEstimator(minimumBitrate: minimumBitrate, maximumBitrate: maximumBitrate)
    }

    /// The round-trip time (from RTCP) sets how fast AIMD may cut again and grow.
    public mutating func setRoundTripTime(_ rtt: Duration) { detector.setRoundTripTime(rtt) }

    public var delayState: BandwidthUsage { detector.state }

    /// One arrival: its 24-bit abs-send-time (6.18 fixed point seconds), size on the wire, SSRC.
    public mutating func onPacketReceived(absSendTime: UInt32, size: Int, ssrc: UInt32, at now: Duration) {
        let value = absSendTime & 0xFF_FFFF
        var ticks = Int64(value)
        if let last = lastAbsSendTime {
            var delta = (Int64(value) - Int64(last)) & (Self.absSendTimeWrap - 1)
            if delta >= Self.absSendTimeWrap / 2 { delta -= Self.absSendTimeWrap }
            ticks = newestSendTicks + delta
        }
        // The newest send time is the reference; a late packet unwraps against it too.
        if lastAbsSendTime == nil || ticks > newestSendTicks {
            lastAbsSendTime = value
            newestSendTicks = ticks
        }
        // Seconds and fraction apart: ticks × 10^9 would overflow after ten hours.
        let sendTime = Duration.seconds(ticks >> 18) + .nanoseconds((ticks & 0x3_FFFF) * 1_000_000_000 >> 18)
        ingest(sendTime: sendTime, size: size, ssrc: ssrc, at: now)
    }

    private mutating func ingest(sendTime: Duration, size: Int, ssrc: UInt32, at now: Duration) {
        ssrcs[ssrc] = now
        incomingBitrate.update(bytes: size, at: now)
        detector.incomingPacket(sendTime: sendTime, arrivalTime: now, size: size, at: now)

        let incoming = incomingBitrate.rate(at: now)
        var due = false
        if let last = lastUpdate {
            if now - last > feedbackInterval {
                due = true
            } else if detector.state == .overusing, let incoming,
                      detector.rateControl.timeToReduceFurther(at: now, acknowledgedRate: incoming) {
                due = true
            }
        } else {
            due = true
        }
        guard due else { return }
        _ = detector.maybeUpdateEstimate(acknowledgedBitrate: incoming, probe: nil,
                                         recoveredFromOveruse: false, at: now)
        if detector.rateControl.isInitialized && incoming != nil {
            hasEstimate = true
            lastUpdate = now
        }
    }

    /// libwebrtc's `GetFeedbackInterval`: an 80-byte REMB at no more than 5 % of the rate,
    /// between 200 ms and 1 s.
    private var feedbackInterval: Duration {
        let seconds = 80.0 * 8 / (0.05 * Double(max(detector.estimate, 1)))
        return .milliseconds(Int64(min(max(seconds, 0.2), 1.0) * 1000))
    }

    /// Periodic work; returns the estimate (bit/s) and the SSRCs it covers when a REMB is due
    /// (on a significant drop at once, otherwise about once a second).
    public mutating func process(at now: Duration) -> (bitrate: Int, ssrcs: [UInt32])? {
        for (ssrc, seen) in ssrcs where now - seen > Self.streamTimeout { ssrcs[ssrc] = nil }
        guard let bitrate = estimate, !ssrcs.isEmpty else { return nil }
        if let last = lastREMB {
            let dropped = Double(bitrate) < Self.immediateDropFraction * Double(last.bitrate)
            guard dropped || now - last.time >= Self.rembInterval else { return nil }
        }
        lastREMB = (now, bitrate)
        return (bitrate, ssrcs.keys.sorted())
    }

    /// The latest estimate, bit/s.
    public var estimate: Int? { hasEstimate ? detector.estimate : nil }
}
