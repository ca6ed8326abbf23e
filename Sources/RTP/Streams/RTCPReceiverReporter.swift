/// What the receiver of one stream reports back (RFC 3550 §6.4.2): the RR's report block with
/// LSR/DLSR from the sender's last SR, on a schedule, with SDES CNAME and an XR RRTR whose
/// DLRR answer gives the receiver an RTT without sending media (RFC 3611 §4.4-4.5).
struct RTCPReceiverReporter: Sendable {
    let ssrc: UInt32
    let localSSRC: UInt32
    let cname: String
    let reportInterval: Duration
    let sendReceiverReferenceTime: Bool
    private var nextReportAt: Duration?
    private var lastSenderReport: (compact: UInt32, at: Duration)?
    /// RRTRs we sent (compact NTP of our own clock, send time), matched against DLRR.
    private var sentReferenceTimes: [(compact: UInt32, at: Duration)] = []
    static let referenceTimesKept = 8

    init(configuration c: RTPReceiveStreamConfiguration) {
        ssrc = c.ssrc
        localSSRC = c.localSSRC
        cname = c.cname
        reportInterval = c.reportInterval
        sendReceiverReferenceTime = c.sendReceiverReferenceTime
    }

    /// The sender's SR (of this stream): LSR and DLSR of the reports that follow.
    mutating func senderReportReceived(ntpTimestamp: UInt64, at now: Duration) {
        lastSenderReport = (NTPTime.compact(ntpTimestamp), now)
    }

    /// The round trip a DLRR sub-block answering one of our RRTRs gives, or nil when it
    /// answers none of the last few or does not make sense.
    func roundTripTime(answering sub: RTCPExtendedReport.DLRRSubBlock, at now: Duration) -> Duration? {
        guard sub.ssrc == localSSRC, sub.lastReceiverReport != 0,
              let sent = sentReferenceTimes.last(where: { $0.compact == sub.lastReceiverReport }) else { return nil }
        let rtt = now - sent.at - NTPTime.duration(compact: sub.delaySinceLastReceiverReport)
        return rtt > .zero ? rtt : nil
    }

    /// True when the scheduled report is due.
    func isDue(at now: Duration) -> Bool { now >= (nextReportAt ?? now) }

    /// When the scheduled report is due; nil: now (none sent yet).
    var nextReportTime: Duration? { nextReportAt }

    /// Writes an RR with this stream's report block into `buffer`; the scheduled one
    /// (`scheduled`) also carries SDES CNAME and the RRTR, and sets the next one's time.
    mutating func write(scheduled: Bool, statistics: inout RTPReceiveStatistics, at now: Duration, into buffer: inout [UInt8]) {
        if scheduled { nextReportAt = now + reportInterval }
        var lsr: UInt32 = 0, dlsr: UInt32 = 0
        if let last = lastSenderReport {
            lsr = last.compact
            dlsr = NTPTime.compact(now - last.at)
        }
        let block = statistics.makeReportBlock(ssrc: ssrc, lastSenderReport: lsr, delaySinceLastSenderReport: dlsr)
        // One report block: written directly to avoid building arrays.
        let start = RTCPWriter.begin(&buffer, count: 1, packetType: RTCPPacketType.receiverReport)
        buffer.appendBigEndian(localSSRC)
        block.write(into: &buffer)
        RTCPWriter.finish(&buffer, start: start)
        guard scheduled else { return }
        // Throws only for a CNAME over 255 bytes (RFC 3550 §6.5): ours, not the peer's.
        try? RTCPSourceDescription(ssrc: localSSRC, cname: cname).write(into: &buffer)
        if sendReceiverReferenceTime {
            // Our own clock as NTP: only we interpret the echo.
            let ntp = NTPTime.timestamp(now + .seconds(Int64(NTPTime.unixEpochOffset)))
            // One fixed-size block: cannot fail.
            try? RTCPExtendedReport(ssrc: localSSRC, blocks: [.receiverReferenceTime(ntpTimestamp: ntp)]).write(into: &buffer)
            sentReferenceTimes.append((NTPTime.compact(ntp), now))
            if sentReferenceTimes.count > Self.referenceTimesKept { sentReferenceTimes.removeFirst() }
        }
    }
}
