/// Receive-side bandwidth estimation for peers that want REMB (draft-alvestrand-rmcat-remb):
/// the same delay-based detector as the send side, fed with abs-send-time
/// (http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time) and local arrival times, and
/// the incoming rate.
///
/// PLACEHOLDER API (the real estimator replaces the body, keeping these signatures).
public struct RemoteBitrateEstimator: Sendable {
    public init() {}

    /// One arrival: its 24-bit abs-send-time (6.18 fixed point seconds), size on the wire, SSRC.
    public mutating func onPacketReceived(absSendTime: UInt32, size: Int, ssrc: UInt32, at now: Duration) {}

    /// Periodic work; returns the estimate (bit/s) and the SSRCs it covers when a REMB is due
    /// (on a significant drop at once, otherwise about once a second).
    public mutating func process(at now: Duration) -> (bitrate: Int, ssrcs: [UInt32])? { nil }

    /// The latest estimate, bit/s.
    public var estimate: Int? { nil }
}
