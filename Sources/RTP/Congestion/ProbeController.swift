/// When to probe, and how hard (libwebrtc's `ProbeController`; draft-ietf-rmcat-gcc-02 says
/// nothing of probing, AIMD alone takes tens of seconds to find a fast link or to come back
/// after a dip).
///
/// - At the start, clusters at 3× and 6× the start rate; while a result comes back above
///   70 % of the highest cluster, again at 2× that result (exponential probing), up to the
///   maximum.
/// - After a large drop (the estimate under 66 % of what it was in the last few seconds),
///   and while AIMD holds at its link-capacity bound: whenever the delay-based side is not
///   overusing and no probe went out for `periodicProbeInterval`, a cluster at twice the
///   estimate, probing further on success. A path whose capacity came back is found again
///   in a few round trips instead of at 8 %/s.
public struct ProbeController: Sendable {
    enum State: Sendable { case initial, waitingForResult, complete }

    static let firstExponentialScale = 3.0
    static let secondExponentialScale = 6.0
    static let furtherExponentialScale = 2.0
    static let furtherProbeThreshold = 0.7
    static let maxWaitingTimeForResult: Duration = .seconds(1)
    static let bitrateDropThreshold = 0.66
    static let probeFractionAfterDrop = 0.85
    static let probeUncertainty = 0.05
    static let dropPeakWindow: Duration = .seconds(5)
    static let probeDuration: Duration = .milliseconds(15)
    static let minimumProbes = 5

    public var periodicProbeInterval: Duration = .seconds(3)
    private(set) var state: State = .initial
    private var startBitrate: Int
    private var maximumBitrate: Int
    private var estimatedBitrate: Int
    private var minBitrateToProbeFurther: Int?
    private var timeLastProbing: Duration?
    private var nextClusterID = 1
    private var pending: [ProbeCluster] = []
    /// Clusters sent, by id, for the probe estimator (the last few).
    public private(set) var clusters: [ProbeCluster] = []
    /// Recent estimates (time, bitrate) to find the peak a drop fell from.
    private var recentEstimates: [(time: Duration, bitrate: Int)] = []
    public private(set) var bitrateBeforeLastLargeDrop: Int?

    public init(startBitrate: Int, maximumBitrate: Int) {
        self.startBitrate = startBitrate
        self.maximumBitrate = maximumBitrate
        estimatedBitrate = startBitrate
    }

    /// True while a cluster's result is awaited (the pacer may pad meanwhile).
    public var isProbing: Bool { state == .waitingForResult }

    public func cluster(id: Int) -> ProbeCluster? { clusters.last { $0.id == id } }

    public mutating func setMaximumBitrate(_ maximum: Int, at now: Duration) {
        let old = maximumBitrate
        maximumBitrate = maximum
        if state == .complete && maximum > old && estimatedBitrate < maximum {
            // Mid-call the cap was lifted: find out at once whether the link allows more.
            initiateProbing([maximum], probeFurther: false, at: now)
        }
    }

    /// The first clusters; call once the transport is up.
    public mutating func onNetworkAvailable(at now: Duration) {
        guard state == .initial else { return }
        let start = Double(startBitrate)
        initiateProbing([Int(start * Self.firstExponentialScale), Int(start * Self.secondExponentialScale)],
                        probeFurther: true, at: now)
    }

    /// The combined estimate changed.
    public mutating func setEstimatedBitrate(_ bitrate: Int, at now: Duration) {
        if state == .waitingForResult {
            if let last = timeLastProbing, now - last > Self.maxWaitingTimeForResult {
                state = .complete
                minBitrateToProbeFurther = nil
            } else if let threshold = minBitrateToProbeFurther, bitrate > threshold {
                initiateProbing([Int(Self.furtherExponentialScale * Double(bitrate))], probeFurther: true, at: now)
            }
        }
        while let first = recentEstimates.first, now - first.time > Self.dropPeakWindow { recentEstimates.removeFirst() }
        while let last = recentEstimates.last, last.bitrate <= bitrate { recentEstimates.removeLast() }
        recentEstimates.append((now, bitrate))
        let peak = recentEstimates.first?.bitrate ?? bitrate
        if Double(bitrate) < Self.bitrateDropThreshold * Double(peak) {
            // Keep the highest peak through a cascade of drops, until recovered.
            bitrateBeforeLastLargeDrop = max(peak, bitrateBeforeLastLargeDrop ?? 0)
        }
        estimatedBitrate = bitrate
    }

    /// Periodic: probe while the delay-based side sees no overuse and either a large drop
    /// is not yet recovered or AIMD holds at its capacity bound.
    public mutating func process(delayState: BandwidthUsage, atCapacityBound: Bool, at now: Duration) {
        if state == .waitingForResult, let last = timeLastProbing, now - last > Self.maxWaitingTimeForResult {
            state = .complete
            minBitrateToProbeFurther = nil
        }
        if let before = bitrateBeforeLastLargeDrop,
           (1 - Self.probeUncertainty) * Self.probeFractionAfterDrop * Double(before) <= Double(estimatedBitrate) {
            bitrateBeforeLastLargeDrop = nil  // recovered
        }
        guard state == .complete, delayState != .overusing,
              bitrateBeforeLastLargeDrop != nil || atCapacityBound,
              timeLastProbing.map({ now - $0 >= periodicProbeInterval }) ?? true else { return }
        initiateProbing([Int(Self.furtherExponentialScale * Double(estimatedBitrate))], probeFurther: true, at: now)
    }

    /// Clusters to send now, taken once. Polled on every timeout: when none wait it returns
    /// the empty array without touching `pending` (emptying an array whose storage was just
    /// handed out allocates a new one).
    public mutating func takeProbeClusters() -> [ProbeCluster] {
        guard !pending.isEmpty else { return [] }
        defer { pending = [] }
        return pending
    }

    private mutating func initiateProbing(_ bitrates: [Int], probeFurther: Bool, at now: Duration) {
        var further = probeFurther
        for var bitrate in bitrates {
            if bitrate >= maximumBitrate {
                bitrate = maximumBitrate
                further = false
            }
            let bytes = Int(Double(bitrate) * Self.probeDuration.seconds / 8)
            let cluster = ProbeCluster(id: nextClusterID, bitrate: bitrate, minimumProbes: Self.minimumProbes,
                                       minimumBytes: bytes, createdAt: now)
            nextClusterID += 1
            pending.append(cluster)
            clusters.append(cluster)
        }
        if clusters.count > 16 { clusters.removeFirst(clusters.count - 16) }
        timeLastProbing = now
        if further, let last = bitrates.last {
            state = .waitingForResult
            minBitrateToProbeFurther = Int(Double(min(last, maximumBitrate)) * Self.furtherProbeThreshold)
        } else {
            state = .complete
            minBitrateToProbeFurther = nil
        }
    }
}
