/// A two-state Markov loss model (Gilbert-Elliott): in the good state packets are lost with
/// `lossInGood`, in the bad state with `lossInBad`; before each packet the state flips with
/// `goodToBad` / `badToGood`. Mean burst length is 1 / `badToGood` packets.
public struct GilbertElliott: Sendable, Equatable {
    public var goodToBad: Double
    public var badToGood: Double
    public var lossInGood: Double
    public var lossInBad: Double

    public init(goodToBad: Double, badToGood: Double, lossInGood: Double = 0, lossInBad: Double = 1) {
        self.goodToBad = goodToBad
        self.badToGood = badToGood
        self.lossInGood = lossInGood
        self.lossInBad = lossInBad
    }

    /// The long-run loss rate of this model.
    public var averageLossRate: Double {
        let bad = goodToBad / (goodToBad + badToGood)
        return bad * lossInBad + (1 - bad) * lossInGood
    }
}

/// What one direction of a virtual link does to datagrams, in the order a packet meets it:
/// random or bursty loss, then the bandwidth queue (tail-drop), then propagation delay plus
/// jitter, occasional extra delay (reordering), and duplication.
public struct LinkConditions: Sendable, Equatable {
    /// One-way propagation delay.
    public var delay: Duration = .zero
    /// Extra delay drawn uniformly from [0, jitter] per packet (packets may reorder).
    public var jitter: Duration = .zero
    /// Independent random loss probability per packet.
    public var lossRate: Double = 0
    /// Bursty loss, applied in addition to `lossRate`.
    public var burstLoss: GilbertElliott? = nil
    /// Probability that a packet is held back by `reorderDelay` (so later packets pass it).
    public var reorderRate: Double = 0
    public var reorderDelay: Duration = .milliseconds(20)
    /// Probability that a packet is delivered twice.
    public var duplicateRate: Double = 0
    /// Link rate in bits per second; nil means unlimited (no queue).
    public var bandwidth: Int? = nil
    /// Bytes the bottleneck queue holds (including the packet being sent); beyond it, tail drop.
    public var queueLimitBytes: Int = 64 * 1024

    public init(
        delay: Duration = .zero, jitter: Duration = .zero, lossRate: Double = 0,
        burstLoss: GilbertElliott? = nil, reorderRate: Double = 0,
        reorderDelay: Duration = .milliseconds(20), duplicateRate: Double = 0,
        bandwidth: Int? = nil, queueLimitBytes: Int = 64 * 1024
    ) {
        self.delay = delay
        self.jitter = jitter
        self.lossRate = lossRate
        self.burstLoss = burstLoss
        self.reorderRate = reorderRate
        self.reorderDelay = reorderDelay
        self.duplicateRate = duplicateRate
        self.bandwidth = bandwidth
        self.queueLimitBytes = queueLimitBytes
    }

    /// A perfect link: no delay, no loss.
    public static let ideal = LinkConditions()
}

/// Counters of one directed link, for tests to check what the network did.
public struct LinkStatistics: Sendable, Equatable {
    public var datagramsSent = 0
    public var bytesSent = 0
    public var datagramsDelivered = 0
    public var randomLosses = 0
    public var burstLosses = 0
    public var tailDrops = 0
    public var duplicates = 0
    public var reordered = 0
    /// The longest time a datagram waited in the bandwidth queue.
    public var maxQueueingDelay: Duration = .zero
    /// Sum of queueing delays over queued (not dropped) datagrams.
    public var totalQueueingDelay: Duration = .zero
    public var queuedDatagrams = 0

    public init() {}

    public var lossCount: Int { randomLosses + burstLosses + tailDrops }
}
