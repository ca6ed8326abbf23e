/// The sender's recent packets, kept to answer NACKs with retransmissions (RFC 4588).
///
/// A ring of `capacity` slots indexed by sequence number modulo capacity (a power of two,
/// so the mapping survives the 16-bit wrap); each slot keeps its byte buffer between uses,
/// so storing a packet allocates nothing once the ring has filled. Packets older than
/// `maxAge` are not retransmitted: by then the receiver has given up on them.
public struct RTPPacketHistory: Sendable {
    struct Slot {
        var sequenceNumber: UInt16 = 0
        var valid = false
        var sentAt: Duration = .zero
        var lastRetransmittedAt: Duration?
        var bytes: [UInt8] = []
    }

    public let capacity: Int
    public var maxAge: Duration
    private var slots: [Slot]

    public init(capacity: Int = 512, maxAge: Duration = .seconds(1)) {
        var c = 1
        while c < max(capacity, 1) { c <<= 1 }
        self.capacity = min(c, 32768)
        self.maxAge = maxAge
        self.slots = Array(repeating: Slot(), count: self.capacity)
    }

    private func index(_ seq: UInt16) -> Int { Int(seq) & (capacity - 1) }

    public mutating func store(_ packet: UnsafeRawBufferPointer, sequenceNumber: UInt16, at now: Duration) {
        let i = index(sequenceNumber)
        slots[i].bytes.removeAll(keepingCapacity: true)
        slots[i].bytes.append(contentsOf: packet)
        slots[i].sequenceNumber = sequenceNumber
        slots[i].valid = true
        slots[i].sentAt = now
        slots[i].lastRetransmittedAt = nil
    }

    /// True if the packet is held and young enough to resend.
    public func contains(_ sequenceNumber: UInt16, at now: Duration) -> Bool {
        let s = slots[index(sequenceNumber)]
        return s.valid && s.sequenceNumber == sequenceNumber && now - s.sentAt <= maxAge
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
