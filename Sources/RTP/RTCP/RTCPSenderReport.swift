/// SR: sender report (RFC 3550 §6.4.1), PT 200.
public struct RTCPSenderReport: Sendable, Equatable {
    public var ssrc: UInt32
    /// 64-bit NTP timestamp (seconds since 1900 in the high 32 bits).
    public var ntpTimestamp: UInt64
    public var rtpTimestamp: UInt32
    public var packetCount: UInt32
    public var octetCount: UInt32
    public var reportBlocks: [RTCPReportBlock]

    public init(
        ssrc: UInt32, ntpTimestamp: UInt64, rtpTimestamp: UInt32, packetCount: UInt32,
        octetCount: UInt32, reportBlocks: [RTCPReportBlock] = []
    ) {
        self.ssrc = ssrc
        self.ntpTimestamp = ntpTimestamp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reportBlocks = reportBlocks
    }

    static func parse(_ header: RTCPHeader, _ r: inout ByteReader) throws(RTPError) -> RTCPSenderReport {
        var sr = RTCPSenderReport(
            ssrc: try r.u32(), ntpTimestamp: try r.u64(), rtpTimestamp: try r.u32(),
            packetCount: try r.u32(), octetCount: try r.u32())
        for _ in 0..<header.count { sr.reportBlocks.append(try RTCPReportBlock.parse(&r)) }
        return sr
    }

    public func write(into bytes: inout [UInt8]) throws(RTPError) {
        guard reportBlocks.count <= 31 else { throw .valueTooLarge("reportBlocks") }
        let start = RTCPWriter.begin(&bytes, count: UInt8(reportBlocks.count), packetType: RTCPPacketType.senderReport)
        bytes.appendBigEndian(ssrc)
        bytes.appendBigEndian(ntpTimestamp)
        bytes.appendBigEndian(rtpTimestamp)
        bytes.appendBigEndian(packetCount)
        bytes.appendBigEndian(octetCount)
        for block in reportBlocks { block.write(into: &bytes) }
        RTCPWriter.finish(&bytes, start: start)
    }
}

/// RR: receiver report (RFC 3550 §6.4.2), PT 201.
public struct RTCPReceiverReport: Sendable, Equatable {
    public var ssrc: UInt32
    public var reportBlocks: [RTCPReportBlock]

    public init(ssrc: UInt32, reportBlocks: [RTCPReportBlock] = []) {
        self.ssrc = ssrc
        self.reportBlocks = reportBlocks
    }

    static func parse(_ header: RTCPHeader, _ r: inout ByteReader) throws(RTPError) -> RTCPReceiverReport {
        var rr = RTCPReceiverReport(ssrc: try r.u32())
        for _ in 0..<header.count { rr.reportBlocks.append(try RTCPReportBlock.parse(&r)) }
        return rr
    }

    public func write(into bytes: inout [UInt8]) throws(RTPError) {
        guard reportBlocks.count <= 31 else { throw .valueTooLarge("reportBlocks") }
        let start = RTCPWriter.begin(&bytes, count: UInt8(reportBlocks.count), packetType: RTCPPacketType.receiverReport)
        bytes.appendBigEndian(ssrc)
        for block in reportBlocks { block.write(into: &bytes) }
        RTCPWriter.finish(&bytes, start: start)
    }
}
