/// A reception report block (RFC 3550 §6.4.1), 24 bytes, carried in SR and RR.
public struct RTCPReportBlock: Sendable, Equatable {
    public var ssrc: UInt32
    /// Fraction of packets lost since the previous report, as a fixed-point number / 256.
    public var fractionLost: UInt8
    /// Cumulative number of packets lost, a signed 24-bit value (duplicates can make it negative).
    public var cumulativeLost: Int32
    /// Cycles (high 16 bits) and highest sequence number received (low 16 bits).
    public var extendedHighestSequenceNumber: UInt32
    /// Interarrival jitter in RTP timestamp units (RFC 3550 §A.8).
    public var jitter: UInt32
    /// Middle 32 bits of the NTP timestamp of the last SR received (LSR), 0 if none.
    public var lastSenderReport: UInt32
    /// Delay since that SR in units of 1/65536 s (DLSR).
    public var delaySinceLastSenderReport: UInt32

    public init(
        ssrc: UInt32, fractionLost: UInt8 = 0, cumulativeLost: Int32 = 0,
        extendedHighestSequenceNumber: UInt32 = 0, jitter: UInt32 = 0,
        lastSenderReport: UInt32 = 0, delaySinceLastSenderReport: UInt32 = 0
    ) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequenceNumber = extendedHighestSequenceNumber
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    static func parse(_ r: inout ByteReader) throws(RTPError) -> RTCPReportBlock {
        let ssrc = try r.u32()
        let lost = try r.u32()
        // Sign-extend the 24-bit cumulative count.
        let cumulative = Int32(bitPattern: lost << 8) >> 8
        return RTCPReportBlock(
            ssrc: ssrc, fractionLost: UInt8(lost >> 24), cumulativeLost: cumulative,
            extendedHighestSequenceNumber: try r.u32(), jitter: try r.u32(),
            lastSenderReport: try r.u32(), delaySinceLastSenderReport: try r.u32())
    }

    func write(into bytes: inout [UInt8]) {
        bytes.appendBigEndian(ssrc)
        let clamped = min(max(cumulativeLost, -0x80_0000), 0x7F_FFFF)
        bytes.appendBigEndian(UInt32(fractionLost) << 24 | (UInt32(bitPattern: clamped) & 0x00FF_FFFF))
        bytes.appendBigEndian(extendedHighestSequenceNumber)
        bytes.appendBigEndian(jitter)
        bytes.appendBigEndian(lastSenderReport)
        bytes.appendBigEndian(delaySinceLastSenderReport)
    }
}
