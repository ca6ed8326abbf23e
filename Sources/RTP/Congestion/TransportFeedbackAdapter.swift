/// Matches transport-wide feedback against what was sent (libwebrtc's
/// `TransportFeedbackAdapter`): the send history is keyed by the unwrapped transport-wide
/// sequence number, each feedback's 16-bit base is unwrapped against the newest packet sent,
/// and the arrival times are rebuilt from the 24-bit reference time (64 ms units, §3.1) and
/// the 250 µs deltas.
///
/// A packet is reported once: feedback that repeats it (the receiver re-reports a window
/// after a reordered arrival, or the RTCP was duplicated) is counted, not reported again,
/// except that a packet first reported lost and later received is reported received (and
/// counted in `lateArrivals`, so the loss-based side takes the loss back).
public struct TransportFeedbackAdapter: Sendable {
    /// What became of packets the feedback named, for stats: nothing is dropped silently.
    public struct Statistics: Sendable, Equatable {
        public var feedbacksProcessed = 0
        /// Statuses naming a packet the history does not hold (never sent, or pruned).
        public var packetsMissingFromHistory = 0
        /// Statuses repeating what an earlier feedback already said.
        public var duplicateReports = 0
        /// Packets pruned from the history before any feedback named them.
        public var packetsPrunedUnacknowledged = 0
        /// `onPacketSent` calls whose number was not above the newest (ignored).
        public var packetsSentOutOfOrder = 0
        /// Feedback messages the receiver sent that never arrived (gaps in the 8-bit count).
        public var feedbacksLost = 0
        /// Packets taken out of flight unreported: a later feedback began past them, so the
        /// one that reported them was lost.
        public var packetsUnreported = 0
        public init() {}
    }

    /// `unreported`: out of flight without a report (its feedback was lost); a late report
    /// still counts for the estimators.
    private enum Report: UInt8 { case none, lost, received, unreported }

    private struct Entry {
        var packet: SentPacket
        var report: Report
    }

    /// libwebrtc keeps 60 s of history; the count bound keeps the 16-bit unwrap unambiguous.
    public let maximumAge: Duration
    public let maximumCount: Int

    /// The history as a ring indexed by sequence number: entries are appended in send order
    /// (the pacer assigns numbers in order), so `seq - firstSequenceNumber` is the index.
    private var history: [Entry?] = []
    private var head = 0
    private var firstSequenceNumber: Int64 = 0
    private var newestSequenceNumber: Int64?

    public private(set) var dataInFlight = 0
    public private(set) var statistics = Statistics()
    /// Every packet below this number has left flight (reported, or passed by a feedback).
    private var flightFloor: Int64 = 0

    /// The receiver clock of the previous feedback's reference time, and that reference,
    /// to unwrap the 24-bit field.
    private var lastReferenceTime: Int32?
    private var referenceOffset: Duration = .zero
    private var lastFeedbackCount: UInt8?

    public init(maximumAge: Duration = .seconds(60), maximumCount: Int = 1 << 14) {
        self.maximumAge = maximumAge
        self.maximumCount = maximumCount
    }

    /// The packet with this sequence number, if still in the history.
    public func sentPacket(_ sequenceNumber: Int64) -> SentPacket? {
        guard let index = index(of: sequenceNumber) else { return nil }
        return history[index]?.packet
    }

    private func index(of seq: Int64) -> Int? {
        let offset = seq - firstSequenceNumber
        guard offset >= 0, offset < Int64(history.count - head) else { return nil }
        return head + Int(offset)
    }

    public mutating func onPacketSent(_ packet: SentPacket) {
        let seq = packet.transportSequenceNumber
        if let newest = newestSequenceNumber {
            guard seq > newest else {
                // The pacer numbers packets in send order: anything else is a caller bug.
                statistics.packetsSentOutOfOrder += 1
                return
            }
            let gap = seq - newest - 1
            if gap >= Int64(maximumCount) {
                clear(startingAt: seq)
            } else if gap > 0 {
                // Numbers the pacer skipped stay as empty slots.
                history.append(contentsOf: repeatElement(nil, count: Int(gap)))
            }
        } else {
            firstSequenceNumber = seq
        }
        history.append(Entry(packet: packet, report: .none))
        newestSequenceNumber = seq
        dataInFlight += packet.size
        prune(now: packet.sendTime)
    }

    /// The receiver reports each packet once, in order (draft-holmer-rmcat-transport-wide-cc-
    /// extensions-01 §3.1): packets below a feedback's base that no feedback named were in a
    /// lost one. They leave flight, as libwebrtc's adapter does, or the congestion window
    /// would fill with them and push the target down to its minimum for good (seen over real
    /// UDP with 2 % loss on the feedback's way).
    private mutating func leaveFlight(below end: Int64) {
        var seq = max(flightFloor, firstSequenceNumber)
        while seq < end, let index = index(of: seq) {
            if let entry = history[index], entry.report == .none {
                dataInFlight -= entry.packet.size
                history[index]?.report = .unreported
                statistics.packetsUnreported += 1
            }
            seq += 1
        }
        flightFloor = max(flightFloor, min(end, (newestSequenceNumber ?? 0) + 1))
    }

    private mutating func clear(startingAt seq: Int64) {
        for entry in history[head...] {
            if let entry, entry.report == .none {
                dataInFlight -= entry.packet.size
                statistics.packetsPrunedUnacknowledged += 1
            }
        }
        history.removeAll(keepingCapacity: true)
        head = 0
        firstSequenceNumber = seq
    }

    private mutating func prune(now: Duration) {
        while head < history.count {
            let count = history.count - head
            if let entry = history[head] {
                guard count > maximumCount || now - entry.packet.sendTime > maximumAge else { break }
                if entry.report == .none {
                    dataInFlight -= entry.packet.size
                    statistics.packetsPrunedUnacknowledged += 1
                }
            }
            head += 1
            firstSequenceNumber += 1
        }
        // Compacted into an array sized for what is live once a quarter is dead, or when
        // the next append would double it: 60 s of packets are ~6 600 entries at 480p, and an
        // array compacted in place at half dead kept its largest capacity, grown by doubling
        // (1.2 MB of a long call's heap).
        if head > 1024 && (head * 4 > history.count || history.count == history.capacity) {
            let live = history.count - head
            var compacted: [Entry?] = []
            compacted.reserveCapacity(live + live / 2)
            compacted.append(contentsOf: history[head...])
            history = compacted
            head = 0
        }
    }

    /// Entries held (live ones and the dead prefix) and the array's capacity, for tests.
    var historyStorage: (count: Int, capacity: Int) { (history.count, history.capacity) }

    /// Matches one feedback message. Returns nil when it named no packet of the history
    /// (or only repeated earlier reports).
    public mutating func process(_ feedback: RTCPTransportFeedback, at now: Duration) -> TransportPacketsFeedback? {
        statistics.feedbacksProcessed += 1
        if let last = lastFeedbackCount {
            let gap = Int(feedback.feedbackPacketCount &- last)
            // A small forward gap is lost feedback; anything else is reordering or a restart.
            if gap > 1 && gap < 128 { statistics.feedbacksLost += gap - 1 }
        }
        lastFeedbackCount = feedback.feedbackPacketCount

        // Unwrap the reference time (signed 24-bit, 64 ms units) against the previous one.
        if let last = lastReferenceTime {
            var delta = (Int64(feedback.referenceTime) - Int64(last)) & 0xFF_FFFF
            if delta >= 0x80_0000 { delta -= 0x100_0000 }
            referenceOffset += .milliseconds(64 * delta)
        } else {
            referenceOffset = .milliseconds(64 * Int64(feedback.referenceTime))
        }
        lastReferenceTime = feedback.referenceTime

        guard let newest = newestSequenceNumber else {
            statistics.packetsMissingFromHistory += feedback.packetStatuses.count
            return nil
        }
        let base = newest + Int64(Int16(bitPattern: feedback.baseSequenceNumber &- UInt16(truncatingIfNeeded: newest)))
        // (A base past the newest packet sent is no feedback of ours: it moves nothing.)
        let plausible = base <= newest
        if plausible { leaveFlight(below: base) }

        var packets: [PacketResult] = []
        packets.reserveCapacity(feedback.packetStatuses.count)
        var arrival = referenceOffset
        var lateArrivals = 0
        for (i, status) in feedback.packetStatuses.enumerated() {
            var receiveTime: Duration?
            if case .received(let delta) = status {
                arrival += .microseconds(250 * Int64(delta))
                receiveTime = arrival
            }
            guard let index = index(of: base + Int64(i)), let entry = history[index] else {
                statistics.packetsMissingFromHistory += 1
                continue
            }
            switch (entry.report, receiveTime) {
            case (.received, _), (.lost, nil):
                statistics.duplicateReports += 1
                continue
            case (.none, _):
                dataInFlight -= entry.packet.size
            case (.unreported, _):
                break
            case (.lost, .some):
                lateArrivals += 1
            }
            history[index]?.report = receiveTime == nil ? .lost : .received
            packets.append(PacketResult(sent: entry.packet, receiveTime: receiveTime))
        }
        if plausible { leaveFlight(below: base + Int64(feedback.packetStatuses.count)) }
        guard !packets.isEmpty else { return nil }
        return TransportPacketsFeedback(feedbackTime: now, packets: packets, dataInFlight: dataInFlight,
                                        lateArrivals: lateArrivals)
    }
}
