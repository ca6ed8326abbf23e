/// The sender's recent packets, kept to answer NACKs with retransmissions (RFC 4588).
///
/// A ring of `capacity` slots indexed by sequence number modulo capacity (a power of two,
/// so the mapping survives the 16-bit wrap). Packets older than `maxAge` are not
/// retransmitted: by then the receiver has given up on them, so their bytes are not kept
/// either. A packet's buffer goes back to a spare list once it is older than that, and the
/// next packet stored takes it: the buffers in use are the packets of the last `maxAge` (about
/// 60 at 1 Mbit/s, where a buffer per slot held 512, 0.6 MB that nothing could resend;
/// docs/performance.md, round 8), and storing a packet allocates nothing once they have
/// all been made.
public struct RTPPacketHistory: Sendable {
    struct Slot {
        var sequenceNumber: UInt16 = 0
        var valid = false
        var sentAt: Duration = .zero
        var lastRetransmittedAt: Duration?
        /// Empty once the packet is older than `maxAge` (its buffer went back to `spare`).
        var bytes: [UInt8] = []
    }

    public let capacity: Int
    public var maxAge: Duration
    private var slots: [Slot]
    /// The slots in the order their packets were stored (sequence numbers to tell a slot
    /// that was stored again), oldest first: a ring of `capacity`.
    private var stored: [(slot: Int, sequenceNumber: UInt16)]
    private var storedHead = 0
    private var storedCount = 0
    /// Buffers of packets past `maxAge`, for the next packets.
    private var spare: [[UInt8]] = []

    public init(capacity: Int = 512, maxAge: Duration = .seconds(1)) {
        var c = 1
        while c < max(capacity, 1) { c <<= 1 }
        self.capacity = min(c, 32768)
        self.maxAge = maxAge
        self.slots = Array(repeating: Slot(), count: self.capacity)
        self.stored = Array(repeating: (0, 0), count: self.capacity)
    }

    private func index(_ seq: UInt16) -> Int { Int(seq) & (capacity - 1) }

    /// The packet buffers the history holds: those of the last `maxAge` and the spare ones.
    var buffers: Int { slots.count(where: { !$0.bytes.isEmpty }) + spare.count }

    public mutating func store(_ packet: UnsafeRawBufferPointer, sequenceNumber: UInt16, at now: Duration) {
        retire(at: now)
        let i = index(sequenceNumber)
        if storedCount == capacity { popStored() }  // the oldest entry: its slot is `i` again
        var bytes = slots[i].bytes
        slots[i].bytes = []
        if bytes.isEmpty, let reused = spare.popLast() { bytes = reused }
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: packet)
        slots[i] = Slot(sequenceNumber: sequenceNumber, valid: true, sentAt: now, lastRetransmittedAt: nil, bytes: bytes)
        stored[(storedHead + storedCount) & (capacity - 1)] = (i, sequenceNumber)
        storedCount += 1
    }

    /// Hands the buffers of packets past `maxAge` to `spare`, oldest first.
    private mutating func retire(at now: Duration) {
        while storedCount > 0 {
            let (i, seq) = stored[storedHead]
            if slots[i].sequenceNumber == seq && slots[i].valid {
                guard now - slots[i].sentAt > maxAge else { return }
                if !slots[i].bytes.isEmpty {
                    spare.append(slots[i].bytes)
                    slots[i].bytes = []
                }
            }
            popStored()
        }
    }

    private mutating func popStored() {
        storedHead = (storedHead + 1) & (capacity - 1)
        storedCount -= 1
    }

    /// True if the packet is held and young enough to resend.
    public func contains(_ sequenceNumber: UInt16, at now: Duration) -> Bool {
        let s = slots[index(sequenceNumber)]
        return s.valid && s.sequenceNumber == sequenceNumber && now - s.sentAt <= maxAge && !s.bytes.isEmpty
    }

    /// When the packet was first sent (its age bounds whether a retransmission is still of use).
    public func sendTime(of sequenceNumber: UInt16) -> Duration? {
        let s = slots[index(sequenceNumber)]
        return s.valid && s.sequenceNumber == sequenceNumber ? s.sentAt : nil
    }

    /// The stored packet's size in bytes, if held and young enough to resend.
    public func size(of sequenceNumber: UInt16, at now: Duration) -> Int? {
        contains(sequenceNumber, at: now) ? slots[index(sequenceNumber)].bytes.count : nil
    }

    /// When the packet was last retransmitted, if ever.
    public func lastRetransmission(of sequenceNumber: UInt16) -> Duration? {
        let s = slots[index(sequenceNumber)]
        return s.valid && s.sequenceNumber == sequenceNumber ? s.lastRetransmittedAt : nil
    }

    public mutating func markRetransmitted(_ sequenceNumber: UInt16, at now: Duration) {
        let i = index(sequenceNumber)
        if slots[i].valid && slots[i].sequenceNumber == sequenceNumber { slots[i].lastRetransmittedAt = now }
    }

    /// Lends the stored packet bytes to `body`, or returns nil if not held.
    public func withPacket<R>(_ sequenceNumber: UInt16, at now: Duration, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard contains(sequenceNumber, at: now) else { return nil }
        return try slots[index(sequenceNumber)].bytes.withUnsafeBytes(body)
    }
}
