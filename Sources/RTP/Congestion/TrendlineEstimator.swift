/// The delay-gradient filter of libwebrtc's goog_cc (it replaced the Kalman filter of
/// draft-ietf-rmcat-gcc-02 §5.3): the accumulated one-way delay variation is smoothed
/// (coefficient 0.9) and a least-squares line is fitted through the last 20 groups; its slope,
/// times the number of deltas (up to 60) and a gain of 4, is what the overuse detector
/// compares with its threshold.
public struct TrendlineEstimator: Sendable {
    static let deltaCounterMax = 1000
    static let minNumDeltas = 60

    public let windowSize: Int
    public let smoothingCoefficient: Double
    public let thresholdGain: Double
    public private(set) var detector: OveruseDetector

    private var numberOfDeltas = 0
    private var firstArrivalMs: Double?
    private var accumulatedDelay = 0.0
    private var smoothedDelay = 0.0
    /// (arrival ms since first, smoothed delay ms), a ring of `windowSize`.
    private var history: [(x: Double, y: Double)] = []
    private var historyStart = 0
    private var previousTrend = 0.0
    /// The last modified trend, for stats and tests.
    public private(set) var modifiedTrend = 0.0

    public init(windowSize: Int = 20, smoothingCoefficient: Double = 0.9, thresholdGain: Double = 4,
                detector: OveruseDetector = OveruseDetector()) {
        self.windowSize = windowSize
        self.smoothingCoefficient = smoothingCoefficient
        self.thresholdGain = thresholdGain
        self.detector = detector
        history.reserveCapacity(windowSize)
    }

    public var state: BandwidthUsage { detector.state }

    /// One pair of group deltas (ms) and the arrival time (ms) of the group that closed.
    @discardableResult
    public mutating func update(arrivalDeltaMs: Double, sendDeltaMs: Double, arrivalTimeMs: Double) -> BandwidthUsage {
        let delta = arrivalDeltaMs - sendDeltaMs
        numberOfDeltas = min(numberOfDeltas + 1, Self.deltaCounterMax)
        let first = firstArrivalMs ?? arrivalTimeMs
        firstArrivalMs = first
        accumulatedDelay += delta
        smoothedDelay = smoothingCoefficient * smoothedDelay + (1 - smoothingCoefficient) * accumulatedDelay
        let point = (x: arrivalTimeMs - first, y: smoothedDelay)
        if history.count < windowSize {
            history.append(point)
        } else {
            history[historyStart] = point
            historyStart = (historyStart + 1) % windowSize
        }
        var trend = previousTrend
        if history.count == windowSize, let slope = linearFitSlope() { trend = slope }
        previousTrend = trend

        if numberOfDeltas < 2 { return detector.state }
        modifiedTrend = Double(min(numberOfDeltas, Self.minNumDeltas)) * trend * thresholdGain
        return detector.detect(estimate: modifiedTrend, sendDeltaMs: sendDeltaMs, nowMs: arrivalTimeMs)
    }

    private func linearFitSlope() -> Double? {
        var sumX = 0.0, sumY = 0.0
        for p in history { sumX += p.x; sumY += p.y }
        let n = Double(history.count)
        let meanX = sumX / n, meanY = sumY / n
        var numerator = 0.0, denominator = 0.0
        for p in history {
            let dx = p.x - meanX
            numerator += dx * (p.y - meanY)
            denominator += dx * dx
        }
        return denominator == 0 ? nil : numerator / denominator
    }
}
