/// Why a link dropped a datagram.
public enum LinkDropReason: String, Sendable, CaseIterable, Codable {
    /// Independent random loss (`LinkConditions.lossRate`).
    case random
    /// Gilbert-Elliott bursty loss (`LinkConditions.burstLoss`).
    case burst
    /// The bottleneck queue was full (tail drop).
    case queueOverflow
}

/// What a link did with one datagram.
public struct LinkTransmission: Sendable, Equatable {
    /// When the datagram arrives at the far end; nil when it was dropped.
    public var arrival: Duration?
    /// When the second copy arrives, if the link duplicated it.
    public var duplicateArrival: Duration?
    public var dropReason: LinkDropReason?
    /// How long the datagram waited behind earlier ones in the bottleneck queue (zero when
    /// dropped or when the link has no rate limit).
    public var queueingDelay: Duration = .zero
    /// Whether it was held back by `reorderDelay`.
    public var reordered = false

    /// Every arrival time: empty when dropped, two when duplicated.
    public var arrivals: [Duration] {
        guard let arrival else { return [] }
        if let duplicateArrival { return [arrival, duplicateArrival] }
        return [arrival]
    }
}

/// One direction of an emulated link, sans-I/O: a datagram's size and the current time in,
/// its fate out (arrival times, or the reason it was dropped, and its queueing delay). The
/// same model serves the simulated `VirtualNetwork` and the real-clock UDP relay.
///
/// In the order a datagram meets it: Gilbert-Elliott loss, random loss, the bottleneck (a
/// FIFO drained at `bandwidth`, tail-dropping beyond `queueLimitBytes`, like a router's
/// drop-tail queue), propagation delay plus uniform jitter, occasional extra delay
/// (reordering), duplication. All randomness comes from the link's own seeded PRNG, so a
/// seed and a sequence of transmissions always give the same result.
///
/// With a `LinkScenario`, the conditions change at the scenario's step times (checked at each
/// transmission). Datagrams already in the queue keep the departure time they got when they
/// entered it.
public struct EmulatedLink: Sendable {
    /// IP + UDP header bytes that count against the link rate but not in `bytesSent`.
    public static let udpOverIPv4Overhead = 28
    public static let udpOverIPv6Overhead = 48

    /// The conditions in force. Setting them replaces the scenario's until its next step.
    public var conditions: LinkConditions
    public let scenario: LinkScenario?
    public private(set) var statistics = LinkStatistics()

    private var nextStep = 0
    private var random: SeededGenerator
    private var inBadState = false
    /// Transmissions still in the bottleneck queue: (finish time, bytes); FIFO.
    private var queue: [(finish: Duration, bytes: Int)] = []
    private var queueHead = 0
    private var queuedBytes = 0
    private var lastFinish: Duration = .zero

    public init(conditions: LinkConditions = .ideal, seed: UInt64) {
        self.conditions = conditions
        self.scenario = nil
        self.random = SeededGenerator(seed: seed)
    }

    /// A link whose conditions follow `scenario` (time zero is the link's start).
    public init(scenario: LinkScenario, seed: UInt64) {
        self.scenario = scenario
        self.conditions = scenario.steps.first?.conditions ?? .ideal
        self.nextStep = 1
        self.random = SeededGenerator(seed: seed)
    }

    /// Applies the scenario steps due by `now` (transmit does this itself; call it to read
    /// `conditions` at a time when nothing is sent).
    public mutating func advance(to now: Duration) {
        guard let steps = scenario?.steps else { return }
        while nextStep < steps.count && steps[nextStep].at <= now {
            conditions = steps[nextStep].conditions
            nextStep += 1
        }
    }

    /// Bytes (wire size) in the bottleneck queue at `now`, including the one being sent.
    public mutating func backlog(at now: Duration) -> Int {
        drainQueue(now)
        return queuedBytes
    }

    /// Offers one datagram of `size` payload bytes at `now`; `overhead` header bytes count
    /// against the rate and the queue too. `now` must not go backwards.
    public mutating func transmit(size: Int, overhead: Int = udpOverIPv4Overhead, at now: Duration) -> LinkTransmission {
        advance(to: now)
        let c = conditions
        statistics.datagramsSent += 1
        statistics.bytesSent += size
        var outcome = LinkTransmission()

        if let model = c.burstLoss {
            if inBadState {
                if random.chance(model.badToGood) { inBadState = false }
            } else if random.chance(model.goodToBad) {
                inBadState = true
            }
            if random.chance(inBadState ? model.lossInBad : model.lossInGood) {
                statistics.burstLosses += 1
                outcome.dropReason = .burst
                return outcome
            }
        }
        if random.chance(c.lossRate) {
            statistics.randomLosses += 1
            outcome.dropReason = .random
            return outcome
        }

        var departure = now
        if let rate = c.bandwidth, rate > 0 {
            drainQueue(now)
            let wireBytes = size + overhead
            if queuedBytes + wireBytes > c.queueLimitBytes {
                statistics.tailDrops += 1
                outcome.dropReason = .queueOverflow
                return outcome
            }
            let start = max(now, lastFinish)
            let transmission = Duration.nanoseconds(Int64(wireBytes) * 8 * 1_000_000_000 / Int64(rate))
            let finish = start + transmission
            queue.append((finish, wireBytes))
            queuedBytes += wireBytes
            lastFinish = finish
            let waited = start - now
            statistics.queuedDatagrams += 1
            statistics.totalQueueingDelay += waited
            statistics.maxQueueingDelay = max(statistics.maxQueueingDelay, waited)
            outcome.queueingDelay = waited
            departure = finish
        }

        var arrival = propagated(departure, c)
        if random.chance(c.reorderRate) {
            arrival += c.reorderDelay
            statistics.reordered += 1
            outcome.reordered = true
        }
        outcome.arrival = arrival
        statistics.datagramsDelivered += 1
        if random.chance(c.duplicateRate) {
            outcome.duplicateArrival = propagated(departure, c)
            statistics.duplicates += 1
            statistics.datagramsDelivered += 1
        }
        return outcome
    }

    private mutating func propagated(_ departure: Duration, _ c: LinkConditions) -> Duration {
        var t = departure + c.delay
        if c.jitter > .zero {
            t += c.jitter * random.nextUnit()
        }
        return t
    }

    /// Removes the transmissions that finished by `now`.
    private mutating func drainQueue(_ now: Duration) {
        while queueHead < queue.count && queue[queueHead].finish <= now {
            queuedBytes -= queue[queueHead].bytes
            queueHead += 1
        }
        if queueHead > 256 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
    }
}

extension LinkStatistics {
    /// Datagrams dropped for `reason`.
    public func drops(_ reason: LinkDropReason) -> Int {
        switch reason {
        case .random: randomLosses
        case .burst: burstLosses
        case .queueOverflow: tailDrops
        }
    }
}
