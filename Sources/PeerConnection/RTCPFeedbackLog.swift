import Logging
import RTP

/// RTCP in the `tincan.rtp` log: the feedback that reports trouble (RFC 4585 NACK and PLI,
/// RFC 5104 FIR, BYE) at debug as it is sent and received; the periodic rest (REMB,
/// transport-cc every 50 ms, SR, RR, SDES, XR) at trace.
enum RTCPFeedbackLog {
    /// Sent: the bytes parsed again, only when the log will take them.
    static func log(_ compound: [UInt8], sent: Bool) {
        guard let packets = try? RTCPPacket.parseCompound(compound) else {
            // Our own packet: RTPReceiveStream wrote it, the parser must read it.
            Log.rtp.warning("an RTCP packet of ours does not parse (\(compound.count) bytes)")
            return
        }
        log(packets, sent: sent)
    }

    static func log(_ packets: [RTCPPacket], sent: Bool) {
        let way = sent ? "sent" : "received"
        for packet in packets {
            switch packet {
            case .genericNACK(let n):
                Log.rtp.debug("\(way) NACK for SSRC \(n.mediaSSRC): sequence numbers \(n.lostSequenceNumbers.map(String.init).joined(separator: ","))")
            case .pictureLossIndication(let p):
                Log.rtp.debug("\(way) PLI for SSRC \(p.mediaSSRC)")
            case .fullIntraRequest(let f):
                Log.rtp.debug("\(way) FIR for SSRC \(f.entries.map { String($0.ssrc) }.joined(separator: ","))")
            case .receiverEstimatedMaximumBitrate(let r):
                Log.rtp.trace("\(way) REMB \(r.bitrate) bit/s for SSRC \(r.ssrcs.map(String.init).joined(separator: ","))")
            case .transportFeedback(let t):
                Log.rtp.trace("\(way) transport-cc #\(t.feedbackPacketCount) for \(t.packetStatuses.count) packets from \(t.baseSequenceNumber)")
            case .goodbye(let b):
                Log.rtp.debug("\(way) BYE for SSRC \(b.ssrcs.map(String.init).joined(separator: ","))")
            case .senderReport(let sr):
                Log.rtp.trace("\(way) SR from SSRC \(sr.ssrc): \(sr.packetCount) packets")
            case .receiverReport(let rr):
                Log.rtp.trace("\(way) RR from SSRC \(rr.ssrc), \(rr.reportBlocks.count) report blocks")
            case .sourceDescription, .extendedReport:
                Log.rtp.trace("\(way) \(packet)")
            case .unknown(let type, let count, let body):
                Log.rtp.trace("\(way) RTCP packet type \(type) FMT \(count), \(body.count) bytes")
            }
        }
    }
}
