/// The pacer's settings (the values are libwebrtc's `PacingController` defaults).
public struct RTPPacerConfiguration: Sendable, Equatable {
    /// How often the budgets are refilled while packets wait.
    public var processInterval: Duration = .milliseconds(5)
    /// A refill never covers more than this, so a late poll does not become a burst.
    public var maximumProcessingInterval: Duration = .milliseconds(30)
    /// When the queue would take longer than this to drain at the pacing rate, the rate is
    /// raised to drain it in time (latency over smoothness); nil: never.
    public var queueTimeLimit: Duration? = .seconds(2)
    /// A hard bound on queued packets; a packet beyond it is dropped and counted.
    public var maximumQueuedPackets = 4096
    /// The largest padding asked for at once (an RTX of a recent packet fits in it).
    public var maximumPaddingSize = 1200
    /// Padding smaller than this is not worth a packet header.
    public var minimumPaddingSize = 50

    public init() {}
}

/// What the pacer counted (every packet that left, and every one it dropped).
public struct RTPPacerStatistics: Sendable, Equatable {
    public var audioPacketsSent = 0
    public var videoPacketsSent = 0
    public var retransmissionPacketsSent = 0
    public var paddingPacketsSent = 0
    public var audioBytesSent = 0
    public var videoBytesSent = 0
    public var retransmissionBytesSent = 0
    public var paddingBytesSent = 0
    /// Packets (media or padding) sent as part of a probe cluster.
    public var probePacketsSent = 0
    public var probeBytesSent = 0
    /// Dropped because the queue held `maximumQueuedPackets`.
    public var packetsDroppedQueueFull = 0
    /// Retransmissions that waited past their use and were dropped instead of sent.
    public var staleRetransmissionsDropped = 0
    /// Queued packets of a stream that was removed.
    public var packetsDroppedStreamRemoved = 0
    /// Refills at a rate raised above the pacing rate to meet the queue-time limit.
    public var queueTimeLimitRefills = 0
    public var probeClustersCompleted = 0
    public var probeClustersAbandoned = 0

    public init() {}

    public var packetsSent: Int { audioPacketsSent + videoPacketsSent + retransmissionPacketsSent + paddingPacketsSent }
    public var bytesSent: Int { audioBytesSent + videoBytesSent + retransmissionBytesSent + paddingBytesSent }

    mutating func count(_ kind: PacedPacketKind, bytes: Int) {
        switch kind {
        case .audio: audioPacketsSent += 1; audioBytesSent += bytes
        case .video: videoPacketsSent += 1; videoBytesSent += bytes
        case .retransmission: retransmissionPacketsSent += 1; retransmissionBytesSent += bytes
        case .padding: paddingPacketsSent += 1; paddingBytesSent += bytes
        }
    }
}

/// One packet leaving the pacer (a view valid during the `send` call) or a request for
/// padding of about `size` bytes.
public enum RTPPacerOutput {
    case packet(bytes: UnsafeMutableRawBufferPointer, kind: PacedPacketKind, ssrc: UInt32, stream: Int, probeClusterID: Int?)
    case padding(size: Int, probeClusterID: Int?)
}

/// Smooths the sender's output to the pacing rate (sans-I/O, in the manner of libwebrtc's
/// `PacingController` with an `IntervalBudget`): packets are queued by class, audio before
/// video before retransmissions, padding only to fill what the padding rate or a probe asks,
/// FIFO within a class. Audio is not held by the budget (libwebrtc's default: pacing audio
/// only adds delay to a stream that is small and constant) but is charged to it.
///
/// Drive: `enqueue` each packet, then `poll(at:send:)` now and at `nextSendTime`.
public struct RTPPacer: Sendable {
    public let configuration: RTPPacerConfiguration
    public private(set) var pacingRate: Int
    public private(set) var paddingRate: Int
    public private(set) var statistics = RTPPacerStatistics()
    private var mediaBudget: IntervalBudget
    private var paddingBudget: IntervalBudget
    private var queue = RTPPacketQueue()
    private var prober = BitrateProber()
    private var lastProcess: Duration
    /// No padding before the first media packet (libwebrtc: padding is for a stream that
    /// exists, not a substitute for one).
    private var mediaSent = false

    public init(configuration: RTPPacerConfiguration = RTPPacerConfiguration(), pacingRate: Int, paddingRate: Int = 0,
                at now: Duration) {
        self.configuration = configuration
        self.pacingRate = pacingRate
        self.paddingRate = paddingRate
        mediaBudget = IntervalBudget(targetRate: pacingRate)
        paddingBudget = IntervalBudget(targetRate: paddingRate)
        lastProcess = now
    }

    public var queuedPackets: Int { queue.count }
    public var queuedBytes: Int { queue.bytes }
    public func queuedPackets(of kind: PacedPacketKind) -> Int { queue.count(of: kind) }
    /// How long the queue takes to drain at the pacing rate.
    public var expectedQueueTime: Duration {
        pacingRate > 0 ? .nanoseconds(Int64(Double(queue.bytes) * 8 / Double(pacingRate) * 1e9)) : .zero
    }
    public var isProbing: Bool { prober.isProbing }

    public mutating func setRates(pacingRate: Int, paddingRate: Int) {
        self.pacingRate = max(0, pacingRate)
        self.paddingRate = max(0, paddingRate)
    }

    public mutating func addProbeCluster(_ cluster: ProbeCluster, at now: Duration) {
        prober.add(cluster, at: now)
        syncProberCounters()
    }

    /// Queues a copy of `packet`. A retransmission may carry `expiresAt`: past it, it is
    /// dropped from the queue instead of sent. Returns false (and counts) when the queue is full.
    @discardableResult
    public mutating func enqueue(
        _ packet: UnsafeRawBufferPointer, kind: PacedPacketKind, ssrc: UInt32, stream: Int = 0, at now: Duration,
        expiresAt: Duration? = nil
    ) -> Bool {
        guard kind != .padding else { return false }  // padding is made on demand, never queued
        guard queue.count < configuration.maximumQueuedPackets else {
            statistics.packetsDroppedQueueFull += 1
            return false
        }
        queue.append(packet, kind: kind, ssrc: ssrc, stream: stream, at: now, expiresAt: expiresAt)
        return true
    }

    /// Drops what is queued for a stream that is gone; counted.
    public mutating func removeQueued(stream: Int) {
        statistics.packetsDroppedStreamRemoved += queue.removeAll(stream: stream)
    }

    /// When `poll` next has something to do; nil while idle.
    public var nextSendTime: Duration? {
        // (No local function capturing `next`: unoptimized builds would box it per call.)
        var next: Duration?
        if queue.count(of: .audio) > 0 {
            next = lastProcess
        } else if !queue.isEmpty {
            next = mediaBudget.bytesRemaining > 0 ? lastProcess : lastProcess + configuration.processInterval
        } else if paddingRate > 0 && mediaSent {
            next = lastProcess + configuration.processInterval
        }
        if let t = prober.nextProbeTime { next = min(next ?? .seconds(Int64.max), max(t, lastProcess)) }
        return next
    }

    /// Sends what is due at `now`. `send` puts one packet on the wire (egress stamps and
    /// emits it) or, for `.padding`, makes and sends padding; it returns the bytes it sent
    /// (0 for padding it could not make), which are charged to the budgets.
    public mutating func poll(at now: Duration, send: (RTPPacerOutput) throws -> Int) rethrows {
        refill(at: now)
        prober.dropExpired(at: now)
        while true {
            if prober.isProbing, let due = prober.nextProbeTime, due <= now {
                try sendProbe(at: now, send: send)
                continue
            }
            if queue.count(of: .audio) > 0 {
                _ = try sendNext(.audio, at: now, probeClusterID: nil, send: send)
                continue
            }
            if let kind = queue.nextKind, mediaBudget.bytesRemaining > 0 {
                _ = try sendNext(kind, at: now, probeClusterID: nil, send: send)
                continue
            }
            if queue.isEmpty, mediaSent, paddingRate > 0, paddingBudget.bytesRemaining > 0,
                mediaBudget.bytesRemaining > 0
            {
                let size = min(configuration.maximumPaddingSize,
                               max(configuration.minimumPaddingSize, Int(paddingBudget.bytesRemaining)))
                let sent = try send(.padding(size: size, probeClusterID: nil))
                guard sent > 0 else { break }
                charge(.padding, bytes: sent)
                continue
            }
            break
        }
        syncProberCounters()
    }

    private mutating func refill(at now: Duration) {
        guard now > lastProcess else { return }
        let elapsed = min(now - lastProcess, configuration.maximumProcessingInterval)
        lastProcess = now
        var rate = pacingRate
        if let limit = configuration.queueTimeLimit, !queue.isEmpty {
            // libwebrtc's "drain large queues": the rate that empties the queue within the
            // time its packets have left on average.
            let timeLeft = max(.milliseconds(1), limit - queue.averageQueueTime(at: now))
            let needed = Int(Double(queue.bytes) * 8 / timeLeft.seconds)
            if needed > rate {
                rate = needed
                statistics.queueTimeLimitRefills += 1
            }
        }
        if rate != mediaBudget.targetRate { mediaBudget.setTargetRate(rate) }
        if paddingRate != paddingBudget.targetRate { paddingBudget.setTargetRate(paddingRate) }
        mediaBudget.increase(by: elapsed)
        paddingBudget.increase(by: elapsed)
    }

    /// Sends the first packet of `kind`; false when it was dropped as stale instead.
    private mutating func sendNext(
        _ kind: PacedPacketKind, at now: Duration, probeClusterID: Int?, send: (RTPPacerOutput) throws -> Int
    ) rethrows -> Bool {
        guard let entry = queue.removeFirst(kind) else { return false }
        defer { queue.release(entry) }
        if let expiry = entry.expiresAt, now > expiry {
            statistics.staleRetransmissionsDropped += 1
            return false
        }
        let sent = try queue.withBytes(entry) { bytes in
            try send(.packet(bytes: bytes, kind: entry.kind, ssrc: entry.ssrc, stream: entry.stream,
                             probeClusterID: probeClusterID))
        }
        charge(entry.kind, bytes: sent)
        if probeClusterID != nil {
            statistics.probePacketsSent += 1
            statistics.probeBytesSent += sent
        }
        if entry.kind != .retransmission { mediaSent = true }
        return true
    }

    /// One probe: queued media first (in priority order), padding for the rest. The probe
    /// ignores the budgets but is charged to them.
    private mutating func sendProbe(at now: Duration, send: (RTPPacerOutput) throws -> Int) rethrows {
        let target = prober.recommendedProbeSize
        let cluster = prober.currentClusterID
        var sent = 0
        while sent < target, let kind = queue.nextKind {
            let before = statistics.probeBytesSent
            _ = try sendNext(kind, at: now, probeClusterID: cluster, send: send)
            sent += statistics.probeBytesSent - before
        }
        while sent < target {
            let size = min(configuration.maximumPaddingSize, max(configuration.minimumPaddingSize, target - sent))
            let n = try send(.padding(size: size, probeClusterID: cluster))
            guard n > 0 else { break }
            charge(.padding, bytes: n)
            statistics.probePacketsSent += 1
            statistics.probeBytesSent += n
            sent += n
        }
        if sent == 0 {
            prober.abandonCurrent()  // nothing to probe with: no media queued, no padding source
        } else {
            prober.probeSent(bytes: sent, at: now)
        }
    }

    private mutating func charge(_ kind: PacedPacketKind, bytes: Int) {
        mediaBudget.use(bytes)
        paddingBudget.use(bytes)
        statistics.count(kind, bytes: bytes)
    }

    private mutating func syncProberCounters() {
        statistics.probeClustersCompleted = prober.completedClusters
        statistics.probeClustersAbandoned = prober.abandonedClusters
    }
}
