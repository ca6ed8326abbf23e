#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The loss-based controller of draft-ietf-rmcat-gcc-02 §6 (libwebrtc's classic
/// `SendSideBandwidthEstimation`), which also holds the combined target: it never exceeds
/// the delay-based estimate, the receiver's REMB or the configured maximum.
///
/// Loss is measured over windows of at least 20 packets (transport feedback, or an RR's
/// fraction lost when there is no transport feedback). Under 2 % the target may grow by
/// 8 %/s (from the lowest target of the last second, so feedback frequency does not change
/// the pace); 2–10 % holds; over 10 % cuts by (1 − 0.5·loss), at most once per 300 ms + RTT.
/// The cut needs the window *and* a ~1 s average over 10 %: a 20-packet window of a 5 %
/// random-loss path reads 15 % now and then, and those alone would ratchet the rate down,
/// since nothing in 2–10 % ever restores it.
public struct LossBasedBandwidthEstimator: Sendable {
    static let lowLossThreshold = 0.02
    static let highLossThreshold = 0.10
    static let minimumPacketsPerWindow = 20
    static let increaseInterval: Duration = .seconds(1)
    static let decreaseInterval: Duration = .milliseconds(300)
    static let averageTimeConstant: Duration = .seconds(1)
    static let startPhase: Duration = .seconds(2)
    /// A loss report this old no longer steers the rate (libwebrtc: 1.2 × 5 s).
    static let reportTimeout: Duration = .seconds(6)

    public var minimumBitrate: Int
    public var maximumBitrate: Int
    public private(set) var currentTarget: Int
    public private(set) var delayBasedLimit: Int?
    public private(set) var receiverLimit: Int?
    /// The last window's loss fraction and the running average, 0...1.
    public private(set) var lastLossFraction = 0.0
    public private(set) var averageLoss = 0.0
    public var roundTripTime: Duration = .milliseconds(200)

    private var lostInWindow = 0
    private var expectedInWindow = 0
    private var lastLossReport: Duration?
    private var lastAverageUpdate: Duration?
    private var hasDecreasedSinceLastLoss = false
    private var timeLastDecrease: Duration?
    private var firstReport: Duration?
    private var anyLossSeen = false
    /// Ascending minimum of the target over the last second: (time, bitrate).
    private var minHistory: [(time: Duration, bitrate: Int)] = []

    public init(minimumBitrate: Int, maximumBitrate: Int, startBitrate: Int) {
        self.minimumBitrate = minimumBitrate
        self.maximumBitrate = maximumBitrate
        currentTarget = min(max(startBitrate, minimumBitrate), maximumBitrate)
    }

    private var upperLimit: Int {
        var limit = maximumBitrate
        if let d = delayBasedLimit { limit = min(limit, d) }
        if let r = receiverLimit { limit = min(limit, r) }
        return limit
    }

    /// The delay-based estimate changed: a ceiling.
    public mutating func updateDelayBasedEstimate(_ bitrate: Int, at now: Duration) {
        delayBasedLimit = bitrate
        setTarget(currentTarget, at: now)
    }

    public mutating func updateReceiverEstimate(_ bitrate: Int, at now: Duration) {
        receiverLimit = bitrate
        setTarget(currentTarget, at: now)
    }

    /// Sets the target outright (a start, a probe result), still under the ceilings.
    public mutating func setSendBitrate(_ bitrate: Int, at now: Duration) {
        minHistory.removeAll(keepingCapacity: true)
        setTarget(bitrate, at: now)
    }

    /// Losses counted from transport feedback (`lost` of `expected`). Either may be
    /// negative: a packet reported lost that arrived after all is taken back.
    public mutating func updatePacketsLost(_ lost: Int, of expected: Int, at now: Duration) {
        guard expected != 0 || lost != 0 else { return }
        if firstReport == nil { firstReport = now }
        lostInWindow += lost
        expectedInWindow += expected
        guard expectedInWindow >= Self.minimumPacketsPerWindow else { return }
        let fraction = Double(max(lostInWindow, 0)) / Double(expectedInWindow)
        // More taken back than lost in this window: the rest belongs to the last one,
        // already counted; carry it so the count over time stays right.
        lostInWindow = min(lostInWindow, 0)
        expectedInWindow = 0
        addLossSample(fraction, at: now)
    }

    /// An RR's fraction lost (RFC 3550 §6.4.1), which already covers a whole interval.
    public mutating func updateFractionLost(_ fraction: Double, at now: Duration) {
        if firstReport == nil { firstReport = now }
        addLossSample(min(max(fraction, 0), 1), at: now)
    }

    private mutating func addLossSample(_ fraction: Double, at now: Duration) {
        if let last = lastAverageUpdate {
            let weight = exp(-(now - last).seconds / Self.averageTimeConstant.seconds)
            averageLoss = fraction + weight * (averageLoss - fraction)
        } else {
            averageLoss = fraction
        }
        lastAverageUpdate = now
        lastLossFraction = fraction
        if fraction > 0 { anyLossSeen = true }
        hasDecreasedSinceLastLoss = false
        lastLossReport = now
        updateEstimate(at: now)
    }

    /// Periodic and per-report work (gcc-02 §6).
    public mutating func updateEstimate(at now: Duration) {
        if !anyLossSeen, let first = firstReport, now - first < Self.startPhase, let d = delayBasedLimit,
           d > currentTarget {
            // Start phase without loss: follow the delay-based side (and its probes) up.
            setTarget(d, at: now)
            return
        }
        guard let report = lastLossReport, now - report < Self.reportTimeout else {
            setTarget(currentTarget, at: now)
            return
        }
        updateMinHistory(at: now)
        if lastLossFraction < Self.lowLossThreshold {
            let base = minHistory.first?.bitrate ?? currentTarget
            setTarget(Int(Double(base) * 1.08 + 0.5) + 1_000, at: now)
        } else if lastLossFraction <= Self.highLossThreshold || averageLoss <= Self.highLossThreshold {
            setTarget(currentTarget, at: now)
        } else if !hasDecreasedSinceLastLoss,
                  timeLastDecrease.map({ now - $0 >= Self.decreaseInterval + roundTripTime }) ?? true {
            timeLastDecrease = now
            hasDecreasedSinceLastLoss = true
            let loss = min(lastLossFraction, averageLoss)
            setTarget(Int(Double(currentTarget) * (1 - 0.5 * loss)), at: now)
        }
    }

    private mutating func updateMinHistory(at now: Duration) {
        while let first = minHistory.first, now - first.time + .milliseconds(1) > Self.increaseInterval {
            minHistory.removeFirst()
        }
        while let last = minHistory.last, currentTarget <= last.bitrate { minHistory.removeLast() }
        minHistory.append((now, currentTarget))
    }

    private mutating func setTarget(_ bitrate: Int, at now: Duration) {
        currentTarget = max(min(bitrate, upperLimit), minimumBitrate)
    }
}
