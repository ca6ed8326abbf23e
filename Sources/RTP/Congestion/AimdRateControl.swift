#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The rate controller of draft-ietf-rmcat-gcc-02 §5.5 (libwebrtc's `AimdRateControl`): a
/// state machine driven by the overuse detector. Increase: multiplicative (8 %/s) while the
/// link capacity is unknown, additive (about one packet per response time) near it; never
/// above 1.5 × the acknowledged rate, so an application-limited sender does not inflate the
/// estimate. Decrease (on overuse): to β = 0.85 × the acknowledged rate, at most once per RTT.
/// Unlike libwebrtc, additive increase is bounded by the link capacity estimate (see
/// `capacityBound`), and probing finds capacity beyond it.
public struct AimdRateControl: Sendable {
    public enum State: Sendable, Equatable { case hold, increase, decrease }

    public static let beta = 0.85
    /// The share of the link capacity estimate additive increase stops at (the same 95 %
    /// libwebrtc's probe estimator aims at on a saturated link).
    public static let capacityHeadroom = 0.95
    static let minIncreaseRatePerSecond = 4_000
    static let initializationTime: Duration = .seconds(5)
    static let capacityResetTime: Duration = .seconds(1)

    public var minimumBitrate: Int
    public var maximumBitrate: Int
    public private(set) var currentBitrate: Int
    public private(set) var state: State = .hold
    public private(set) var linkCapacity = LinkCapacityEstimator()
    public var roundTripTime: Duration = .milliseconds(200)
    /// True once a start bitrate, an estimate or an acknowledged rate set the rate.
    public private(set) var isInitialized = false
    /// How far the last decrease went (bit/s), for the probe controller.
    public private(set) var lastDecrease: Int?

    private var latestThroughput: Int?
    private var timeLastChange: Duration?
    private var timeFirstThroughput: Duration?
    private var throughputAboveCapacitySince: Duration?

    public init(minimumBitrate: Int = 5_000, maximumBitrate: Int = 30_000_000) {
        self.minimumBitrate = minimumBitrate
        self.maximumBitrate = maximumBitrate
        currentBitrate = maximumBitrate
    }

    public mutating func setStartBitrate(_ bitrate: Int) {
        currentBitrate = clamp(bitrate)
        latestThroughput = currentBitrate
        isInitialized = true
    }

    /// Sets the rate outright (a start, a halving before any rate was measured).
    public mutating func setEstimate(_ bitrate: Int, at now: Duration) {
        isInitialized = true
        currentBitrate = clamp(bitrate)
        timeLastChange = now
    }

    /// A probe found the path carries `bitrate`: the new rate. A saturated probe measured
    /// the capacity (one above what the estimate allowed replaces it: the link changed); an
    /// unsaturated one only says the capacity is higher, so the estimate is forgotten and
    /// the rate may grow multiplicatively again.
    public mutating func onProbeResult(_ bitrate: Int, linkSaturated: Bool, at now: Duration) {
        if !linkSaturated || bitrate > linkCapacity.upperBound { linkCapacity.reset() }
        if linkSaturated { linkCapacity.onProbeRate(bitrate) }
        setEstimate(bitrate, at: now)
    }

    /// Near convergence the rate grows to `capacityHeadroom` × the link capacity estimate
    /// and stops there: the estimate is the rate at which the queue last began to grow, so
    /// the sawtooth of re-testing it every few seconds would only fill the queue (and
    /// exceed the link) each time. A change of the link shows as overuse (down) or as a
    /// probe result above the estimate's bounds (up); `ProbeController` probes while the
    /// rate sits at this bound. nil while the capacity is unknown.
    public var capacityBound: Int? {
        linkCapacity.estimate.map { Int(Double($0) * Self.capacityHeadroom) }
    }

    /// True when the rate is held at the capacity bound.
    public var isAtCapacityBound: Bool {
        guard let bound = capacityBound else { return false }
        return currentBitrate >= bound - bound / 100
    }

    /// True when a further decrease is due: an RTT has passed since the last change, or the
    /// acknowledged rate fell under half the estimate.
    public func timeToReduceFurther(at now: Duration, acknowledgedRate: Int) -> Bool {
        let interval = min(max(roundTripTime, .milliseconds(10)), .milliseconds(200))
        if let last = timeLastChange, now - last < interval {
            return isInitialized && acknowledgedRate < currentBitrate / 2
        }
        return true
    }

    /// The increase pace near convergence: one average packet per response time (RTT + 100 ms),
    /// packets being a 30 fps frame split into ≤ 1200-byte packets.
    public var nearMaxIncreaseRatePerSecond: Int {
        let frameBits = Double(currentBitrate) / 30
        let packetsPerFrame = (frameBits / (1200 * 8)).rounded(.up)
        let packetBits = frameBits / max(packetsPerFrame, 1)
        let responseTime = (roundTripTime + .milliseconds(100)).seconds
        return max(Self.minIncreaseRatePerSecond, Int(packetBits / responseTime))
    }

    /// One detector verdict with the acknowledged rate, if known. Returns the new rate.
    @discardableResult
    public mutating func update(_ usage: BandwidthUsage, acknowledgedRate: Int?, at now: Duration) -> Int {
        if !isInitialized {
            if timeFirstThroughput == nil {
                if acknowledgedRate != nil { timeFirstThroughput = now }
            } else if let ack = acknowledgedRate, let first = timeFirstThroughput, now - first > Self.initializationTime {
                currentBitrate = clamp(ack)
                isInitialized = true
            }
        }
        let throughput = acknowledgedRate ?? latestThroughput ?? currentBitrate
        if let acknowledgedRate { latestThroughput = acknowledgedRate }
        if !isInitialized && usage != .overusing { return currentBitrate }

        switch usage {
        case .normal:
            if state == .hold {
                timeLastChange = now
                state = .increase
            }
        case .overusing:
            state = .decrease
        case .underusing:
            // The queues are draining: let them, without adding to them.
            state = .hold
        }

        var next = currentBitrate
        switch state {
        case .hold:
            break
        case .increase:
            if throughput > linkCapacity.upperBound {
                // The link carries more than the estimate allows: forget it, once that held
                // for a while (one 150 ms window of a 30 fps stream reads ±15 %).
                let since = throughputAboveCapacitySince ?? now
                throughputAboveCapacitySince = since
                if now - since >= Self.capacityResetTime {
                    linkCapacity.reset()
                    throughputAboveCapacitySince = nil
                }
            } else {
                throughputAboveCapacitySince = nil
            }
            let limit = throughput * 3 / 2 + 10_000
            if currentBitrate < limit {
                var increased: Int
                if let cap = capacityBound {
                    increased = currentBitrate < cap
                        ? min(currentBitrate + additiveIncrease(since: timeLastChange, now: now), cap)
                        : currentBitrate
                } else {
                    increased = currentBitrate + multiplicativeIncrease(since: timeLastChange, now: now)
                }
                next = min(increased, limit)
            }
            timeLastChange = now
        case .decrease:
            var decreased = Int(Double(throughput) * Self.beta)
            if decreased > currentBitrate, let capacity = linkCapacity.estimate {
                decreased = Int(Double(capacity) * Self.beta)
            }
            if decreased < currentBitrate {
                lastDecrease = currentBitrate - decreased
                next = decreased
            }
            if throughput < linkCapacity.lowerBound { linkCapacity.reset() }
            isInitialized = true
            linkCapacity.onOveruseDetected(acknowledgedRate: throughput)
            state = .hold
            timeLastChange = now
        }
        currentBitrate = clamp(next)
        return currentBitrate
    }

    private func multiplicativeIncrease(since last: Duration?, now: Duration) -> Int {
        var alpha = 1.08
        if let last { alpha = pow(alpha, min((now - last).seconds, 1)) }
        return max(Int(Double(currentBitrate) * (alpha - 1)), 1_000)
    }

    private func additiveIncrease(since last: Duration?, now: Duration) -> Int {
        guard let last else { return 0 }
        return Int(Double(nearMaxIncreaseRatePerSecond) * (now - last).seconds)
    }

    private func clamp(_ bitrate: Int) -> Int { min(max(bitrate, minimumBitrate), maximumBitrate) }
}

extension Duration {
    /// This duration in milliseconds, as a `Double` (for the estimators' arithmetic).
    var milliseconds: Double { seconds * 1000 }
}
