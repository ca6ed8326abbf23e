/// The pacer's queue: one FIFO per priority class (audio, video, retransmission; padding is
/// made on demand, never queued), over a pool of byte buffers that keep their capacity, so
/// steady-state queueing allocates nothing (libwebrtc's `PrioritizedPacketQueue`, simplified
/// to one queue per class instead of per SSRC).
struct RTPPacketQueue: Sendable {
    struct Entry: Sendable {
        var slot: Int
        var size: Int
        var kind: PacedPacketKind
        var ssrc: UInt32
        var stream: Int
        var enqueuedAt: Duration
        /// A retransmission after this is of no use (the receiver has given up on it).
        var expiresAt: Duration?

        static let empty = Entry(slot: 0, size: 0, kind: .padding, ssrc: 0, stream: 0, enqueuedAt: .zero, expiresAt: nil)
    }

    /// A growable ring of entries (grows by doubling; never shrinks).
    struct Ring: Sendable {
        private var entries: [Entry] = []
        private var head = 0
        private(set) var count = 0

        var isEmpty: Bool { count == 0 }
        var first: Entry? { count == 0 ? nil : entries[head] }

        mutating func append(_ entry: Entry) {
            if count == entries.count {
                var grown = [Entry](repeating: .empty, count: max(16, entries.count * 2))
                for i in 0..<count { grown[i] = entries[(head + i) % entries.count] }
                entries = grown
                head = 0
            }
            entries[(head + count) % entries.count] = entry
            count += 1
        }

        mutating func removeFirst() -> Entry? {
            guard count > 0 else { return nil }
            let e = entries[head]
            head = (head + 1) % entries.count
            count -= 1
            return e
        }

        /// Keeps the entries for which `keep` is true, in order.
        mutating func filter(_ keep: (Entry) -> Bool) {
            let n = count
            var kept = 0
            for i in 0..<n {
                let e = entries[(head + i) % entries.count]
                if keep(e) {
                    entries[(head + kept) % entries.count] = e
                    kept += 1
                }
            }
            count = kept
        }
    }

    private var rings = [Ring](repeating: Ring(), count: 3)
    private var buffers: [[UInt8]] = []
    private var freeSlots: [Int] = []
    private(set) var count = 0
    private(set) var bytes = 0
    /// Sum of the enqueue times of the queued packets (ns), for the average queue time.
    private var enqueueTimeSum: Int64 = 0

    var isEmpty: Bool { count == 0 }
    func count(of kind: PacedPacketKind) -> Int { kind == .padding ? 0 : rings[kind.rawValue].count }

    /// The highest-priority class with a packet, FIFO within it.
    var nextKind: PacedPacketKind? {
        for k in 0..<3 where !rings[k].isEmpty { return PacedPacketKind(rawValue: k) }
        return nil
    }

    /// How long the queued packets have waited, on average (libwebrtc's
    /// `PrioritizedPacketQueue::AverageQueueTime`).
    func averageQueueTime(at now: Duration) -> Duration {
        guard count > 0 else { return .zero }
        return .nanoseconds((Int64(count) * now.nanoseconds - enqueueTimeSum) / Int64(count))
    }

    mutating func append(
        _ packet: UnsafeRawBufferPointer, kind: PacedPacketKind, ssrc: UInt32, stream: Int, at now: Duration,
        expiresAt: Duration?
    ) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = buffers.count
            var b: [UInt8] = []
            b.reserveCapacity(1500)
            buffers.append(b)
        }
        buffers[slot].removeAll(keepingCapacity: true)
        buffers[slot].append(contentsOf: packet)
        rings[kind.rawValue].append(Entry(
            slot: slot, size: packet.count, kind: kind, ssrc: ssrc, stream: stream, enqueuedAt: now, expiresAt: expiresAt))
        count += 1
        bytes += packet.count
        enqueueTimeSum += now.nanoseconds
    }

    /// Takes the first packet of `kind` out of the queue; its bytes stay valid until `release`.
    mutating func removeFirst(_ kind: PacedPacketKind) -> Entry? {
        guard kind != .padding, let e = rings[kind.rawValue].removeFirst() else { return nil }
        count -= 1
        bytes -= e.size
        enqueueTimeSum -= e.enqueuedAt.nanoseconds
        return e
    }

    /// Lends a taken packet's bytes, writable (egress stamps them in place).
    mutating func withBytes<R>(_ entry: Entry, _ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try buffers[entry.slot].withUnsafeMutableBytes(body)
    }

    mutating func release(_ entry: Entry) {
        freeSlots.append(entry.slot)
    }

    /// Drops every queued packet of `stream`; returns how many.
    mutating func removeAll(stream: Int) -> Int {
        var removed = 0
        for k in 0..<3 {
            var ring = rings[k]
            rings[k] = Ring()
            ring.filter { e in
                guard e.stream == stream else { return true }
                freeSlots.append(e.slot)
                count -= 1
                bytes -= e.size
                enqueueTimeSum -= e.enqueuedAt.nanoseconds
                removed += 1
                return false
            }
            rings[k] = ring
        }
        return removed
    }
}

extension Duration {
    /// Whole nanoseconds (the caller's clocks are far from the 292-year limit).
    var nanoseconds: Int64 {
        let (s, a) = components
        return s * 1_000_000_000 + a / 1_000_000_000
    }
}
