/// The delay detector's verdict (draft-ietf-rmcat-gcc-02 §5.4; libwebrtc's `BandwidthUsage`).
public enum BandwidthUsage: Sendable, Equatable {
    case normal, underusing, overusing
}

/// Compares the delay-gradient estimate with an adaptive threshold
/// (draft-ietf-rmcat-gcc-02 §5.4). The threshold follows |m| slowly (K_u = 0.0087 up,
/// K_d = 0.039 down, per ms): a fixed one would starve GCC against loss-based TCP flows,
/// which keep the queue full, and would not ignore the noise of a jittery path. Overuse is
/// signalled only once the estimate stayed above for `overusingTimeThreshold` and is not
/// falling.
public struct OveruseDetector: Sendable {
    static let upGain = 0.0087
    static let downGain = 0.039
    static let maxAdaptOffsetMs = 15.0
    static let maxTimeDeltaMs = 100.0
    static let thresholdRange = 6.0...600.0

    /// γ, in ms of modified trend.
    public private(set) var threshold = 12.5
    public private(set) var state: BandwidthUsage = .normal
    public let overusingTimeThreshold: Double

    private var timeOverUsing = -1.0
    private var overuseCounter = 0
    private var previousEstimate = 0.0
    private var lastUpdateMs: Double?

    public init(overusingTimeThresholdMs: Double = 10) {
        overusingTimeThreshold = overusingTimeThresholdMs
    }

    /// One estimate `m` (ms, already scaled by the sample count and gain), the send-time
    /// delta of the group that produced it and the arrival time (ms) for the threshold's pace.
    @discardableResult
    public mutating func detect(estimate m: Double, sendDeltaMs: Double, nowMs: Double) -> BandwidthUsage {
        if m > threshold {
            if timeOverUsing < 0 {
                // Assume the overuse began halfway through the group.
                timeOverUsing = sendDeltaMs / 2
            } else {
                timeOverUsing += sendDeltaMs
            }
            overuseCounter += 1
            if timeOverUsing > overusingTimeThreshold && overuseCounter > 1 && m >= previousEstimate {
                timeOverUsing = 0
                overuseCounter = 0
                state = .overusing
            }
        } else if m < -threshold {
            timeOverUsing = -1
            overuseCounter = 0
            state = .underusing
        } else {
            timeOverUsing = -1
            overuseCounter = 0
            state = .normal
        }
        previousEstimate = m
        updateThreshold(m, nowMs: nowMs)
        return state
    }

    private mutating func updateThreshold(_ m: Double, nowMs: Double) {
        let last = lastUpdateMs ?? nowMs
        lastUpdateMs = nowMs
        // A spike far above the threshold (a route change, a burst) must not drag it along.
        if abs(m) > threshold + Self.maxAdaptOffsetMs { return }
        let k = abs(m) < threshold ? Self.downGain : Self.upGain
        let dt = min(max(nowMs - last, 0), Self.maxTimeDeltaMs)
        threshold += k * (abs(m) - threshold) * dt
        threshold = min(max(threshold, Self.thresholdRange.lowerBound), Self.thresholdRange.upperBound)
    }
}
