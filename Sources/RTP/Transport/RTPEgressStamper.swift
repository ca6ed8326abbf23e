/// Writes the transport's values into each packet as it leaves the pacer, in the slots the
/// stream reserved (`RTPSendStream` writes placeholders): the transport-wide sequence number
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2: one counter per transport, shared
/// by media, RTX and padding, so feedback sees every packet the path carried) and
/// abs-send-time (the egress time, so the receiver's delay estimate does not include time in
/// the pacer queue).
public struct RTPEgressStamper: Sendable {
    /// The next transport-wide sequence number, unwrapped (the wire carries its low 16 bits).
    public private(set) var nextTransportSequenceNumber: Int64
    /// Packets that should have carried a slot (the id is negotiated) but did not.
    public private(set) var packetsWithoutSlot = 0
    /// Packets egress could not parse (never emitted by `RTPSendStream`; counted, sent unchanged).
    public private(set) var unparsablePackets = 0

    public init(initialTransportSequenceNumber: UInt16 = 0) {
        nextTransportSequenceNumber = Int64(initialTransportSequenceNumber)
    }

    /// Overwrites the slots of `packet` in place. Returns the transport-wide sequence number
    /// written, nil when none was (no id, or no slot).
    public mutating func stamp(
        _ packet: UnsafeMutableRawBufferPointer, transportSequenceNumberID: UInt8?, absSendTimeID: UInt8?,
        at now: Duration
    ) -> Int64? {
        guard transportSequenceNumberID != nil || absSendTimeID != nil else { return nil }
        guard let header = try? RTPHeader.parse(UnsafeRawBufferPointer(packet)) else {
            unparsablePackets += 1
            return nil
        }
        var written: Int64?
        var absWritten = false
        var it = RTPHeaderExtensionIterator(buffer: UnsafeRawBufferPointer(packet), header: header)
        while let element = it.next() {
            let s = element.range.lowerBound
            if element.id == transportSequenceNumberID, element.range.count == 2, written == nil {
                let value = UInt16(truncatingIfNeeded: nextTransportSequenceNumber)
                packet[s] = UInt8(value >> 8)
                packet[s + 1] = UInt8(value & 0xFF)
                written = nextTransportSequenceNumber
                nextTransportSequenceNumber += 1
            } else if element.id == absSendTimeID, element.range.count == 3 {
                let value = AbsSendTime.from(now)
                packet[s] = UInt8(value >> 16 & 0xFF)
                packet[s + 1] = UInt8(value >> 8 & 0xFF)
                packet[s + 2] = UInt8(value & 0xFF)
                absWritten = true
            }
        }
        if (transportSequenceNumberID != nil && written == nil) || (absSendTimeID != nil && !absWritten) {
            packetsWithoutSlot += 1
        }
        return written
    }
}
