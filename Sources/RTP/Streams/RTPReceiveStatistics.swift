/// Reception statistics of one source, as RFC 3550 Appendix A computes them: expected and
/// lost counts from the extended highest sequence number (§A.3), the interval fraction lost,
/// and the interarrival jitter estimate (§A.8).
public struct RTPReceiveStatistics: Sendable {
    public let clockRate: UInt32
    public private(set) var baseSequenceNumber: Int64?
    public private(set) var highestSequenceNumber: Int64 = -1
    /// Distinct packets received.
    public private(set) var received: Int64 = 0
    private var expectedPrior: Int64 = 0
    private var receivedPrior: Int64 = 0
    /// Jitter in RTP timestamp units (the floating-point form of §A.8).
    public private(set) var jitter: Double = 0
    private var lastTransit: Int64?

    public init(clockRate: UInt32) {
        self.clockRate = clockRate
    }

    /// Counts a distinct packet. Retransmitted packets count as received but do not feed
    /// the jitter estimate (their transit time reflects the repair, not the path).
    public mutating func packetReceived(
        extendedSequenceNumber seq: Int64, timestamp: UInt32, arrival: Duration, isRetransmission: Bool
    ) {
        if baseSequenceNumber == nil {
            baseSequenceNumber = seq
            highestSequenceNumber = seq
        }
        if let base = baseSequenceNumber, seq < base { baseSequenceNumber = seq }
        highestSequenceNumber = max(highestSequenceNumber, seq)
        received += 1
        guard !isRetransmission else { return }
        let (s, atto) = arrival.components
        let arrivalUnits = s * Int64(clockRate) + Int64((Double(atto) / 1e18) * Double(clockRate))
        let transit = arrivalUnits - Int64(timestamp)
        if let last = lastTransit {
            // RTP timestamps wrap at 2^32: take the difference modulo 2^32 as signed.
            let d = abs(Int64(Int32(truncatingIfNeeded: transit - last)))
            jitter += (Double(d) - jitter) / 16
        }
        lastTransit = transit
    }

    public var expected: Int64 {
        guard let base = baseSequenceNumber else { return 0 }
        return highestSequenceNumber - base + 1
    }

    /// Cumulative number lost (§A.3): expected minus received.
    public var cumulativeLost: Int64 { expected - received }

    /// A report block for this source, advancing the interval counters (§A.3).
    public mutating func makeReportBlock(ssrc: UInt32, lastSenderReport: UInt32, delaySinceLastSenderReport: UInt32) -> RTCPReportBlock {
        let expectedNow = expected
        let expectedInterval = expectedNow - expectedPrior
        expectedPrior = expectedNow
        let receivedInterval = received - receivedPrior
        receivedPrior = received
        let lostInterval = expectedInterval - receivedInterval
        let fraction: UInt8 = expectedInterval == 0 || lostInterval <= 0
            ? 0 : UInt8(min(255, (lostInterval << 8) / expectedInterval))
        let lost = Int32(clamping: min(max(cumulativeLost, -0x80_0000), 0x7F_FFFF))
        return RTCPReportBlock(
            ssrc: ssrc, fractionLost: fraction, cumulativeLost: lost,
            extendedHighestSequenceNumber: UInt32(truncatingIfNeeded: max(highestSequenceNumber, 0)),
            jitter: UInt32(jitter), lastSenderReport: lastSenderReport,
            delaySinceLastSenderReport: delaySinceLastSenderReport)
    }
}
