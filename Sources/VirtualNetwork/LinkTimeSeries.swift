/// What one direction of an emulated link did, interval by interval (100 ms by default):
/// the figures a chart of a call draws against the sender's rate (capacity, bytes offered and
/// delivered, drops by reason, queueing delay). Sans-I/O: the owner of the link feeds it each
/// transmission and each delivery with their times, simulated or real.
public struct LinkTimeSeries: Sendable {
    public struct Interval: Sendable, Equatable, Codable {
        /// Start of the interval, seconds since the link started.
        public var t: Double
        /// The link rate in force (bit/s) at the last datagram offered; nil when unlimited.
        public var capacityBps: Int?
        public var offeredPackets = 0
        public var offeredBytes = 0
        /// Counted when the datagram leaves the far end (arrival time), duplicates included.
        public var deliveredPackets = 0
        public var deliveredBytes = 0
        public var droppedRandom = 0
        public var droppedBurst = 0
        public var droppedQueue = 0
        /// Queueing delay of the datagrams that entered the queue in this interval.
        public var queueingDelayP50Ms: Double?
        public var queueingDelayMaxMs: Double?

        public init(t: Double, capacityBps: Int?) {
            self.t = t
            self.capacityBps = capacityBps
        }

        public var droppedPackets: Int { droppedRandom + droppedBurst + droppedQueue }
    }

    public let interval: Duration
    public private(set) var intervals: [Interval] = []
    /// Queueing delays of the interval datagrams are being offered in (offers come in time order).
    private var openDelays: [Duration] = []
    private var openIndex = 0
    /// Queueing delays of the whole run in 1 ms buckets (the last bucket takes everything
    /// longer), for percentiles without keeping every datagram.
    private var delayHistogram = [Int](repeating: 0, count: 4001)

    public init(interval: Duration = .milliseconds(100)) {
        self.interval = interval
    }

    /// Records one datagram of `size` bytes offered at `now` and what `link` did with it.
    public mutating func recordTransmission(_ outcome: LinkTransmission, size: Int, at now: Duration, capacity: Int?) {
        let i = index(now)
        if i != openIndex {
            closeDelays()
            openIndex = i
        }
        intervals[i].capacityBps = capacity
        intervals[i].offeredPackets += 1
        intervals[i].offeredBytes += size
        switch outcome.dropReason {
        case .random?: intervals[i].droppedRandom += 1
        case .burst?: intervals[i].droppedBurst += 1
        case .queueOverflow?: intervals[i].droppedQueue += 1
        case nil:
            if capacity != nil {
                openDelays.append(outcome.queueingDelay)
                let ms = Int(LinkSpec.seconds(outcome.queueingDelay) * 1000)
                delayHistogram[min(ms, delayHistogram.count - 1)] += 1
            }
        }
    }

    /// Records a datagram of `size` bytes leaving the link at `time`.
    public mutating func recordDelivery(size: Int, at time: Duration) {
        let i = index(time)
        intervals[i].deliveredPackets += 1
        intervals[i].deliveredBytes += size
    }

    /// The intervals with the open interval's delay figures filled in; intervals nothing was
    /// offered in take the capacity of the one before.
    public func snapshot() -> [Interval] {
        var copy = self
        copy.closeDelays()
        var capacity: Int? = nil
        for i in copy.intervals.indices {
            if copy.intervals[i].offeredPackets == 0 { copy.intervals[i].capacityBps = capacity }
            capacity = copy.intervals[i].capacityBps
        }
        return copy.intervals
    }

    /// The queueing delay (ms, 1 ms resolution: the upper edge of its bucket) below which a
    /// fraction `p` of the queued datagrams stayed; nil when nothing was queued.
    public func queueingDelayPercentile(_ p: Double) -> Double? {
        let total = delayHistogram.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = max(1, Int((p * Double(total)).rounded(.up)))
        var seen = 0
        for (ms, n) in delayHistogram.enumerated() {
            seen += n
            if seen >= rank { return Double(ms + 1) }
        }
        return Double(delayHistogram.count)
    }

    private mutating func index(_ time: Duration) -> Int {
        let i = max(0, Int(time / interval))
        while intervals.count <= i {
            let start = LinkSpec.seconds(interval * intervals.count)
            intervals.append(Interval(t: (start * 1e6).rounded() / 1e6, capacityBps: intervals.last?.capacityBps))
        }
        return i
    }

    private mutating func closeDelays() {
        guard !openDelays.isEmpty, openIndex < intervals.count else { return }
        openDelays.sort()
        intervals[openIndex].queueingDelayP50Ms = Self.milliseconds(openDelays[(openDelays.count - 1) / 2])
        intervals[openIndex].queueingDelayMaxMs = Self.milliseconds(openDelays[openDelays.count - 1])
        openDelays.removeAll(keepingCapacity: true)
    }

    static func milliseconds(_ d: Duration) -> Double { (LinkSpec.seconds(d) * 1e6).rounded() / 1e3 }
}
