/// XR: extended reports (RFC 3611), PT 207, with the two blocks that give a pure receiver
/// its RTT: the receiver reference time report (RRTR, §4.4, BT 4) and the sender's answer,
/// DLRR (§4.5, BT 5), which mirror SR's LSR/DLSR in the other direction. Other blocks are
/// kept as raw bytes.
public struct RTCPExtendedReport: Sendable, Equatable {
    public struct DLRRSubBlock: Sendable, Equatable {
        public var ssrc: UInt32
        /// Middle 32 bits of the NTP timestamp of the last RRTR received (LRR).
        public var lastReceiverReport: UInt32
        /// Delay since that RRTR in 1/65536 s (DLRR).
        public var delaySinceLastReceiverReport: UInt32

        public init(ssrc: UInt32, lastReceiverReport: UInt32, delaySinceLastReceiverReport: UInt32) {
            self.ssrc = ssrc
            self.lastReceiverReport = lastReceiverReport
            self.delaySinceLastReceiverReport = delaySinceLastReceiverReport
        }
    }

    public enum Block: Sendable, Equatable {
        case receiverReferenceTime(ntpTimestamp: UInt64)
        case dlrr([DLRRSubBlock])
        case other(blockType: UInt8, typeSpecific: UInt8, body: [UInt8])
    }

    public var ssrc: UInt32
    public var blocks: [Block]

    public init(ssrc: UInt32, blocks: [Block]) {
        self.ssrc = ssrc
        self.blocks = blocks
    }

    static func parse(_ r: inout ByteReader, end: Int) throws(RTPError) -> RTCPExtendedReport {
        var xr = RTCPExtendedReport(ssrc: try r.u32(), blocks: [])
        while end - r.offset >= 4 {
            let type = try r.u8()
            let specific = try r.u8()
            let length = Int(try r.u16()) * 4
            guard end - r.offset >= length else { throw .invalidLength }
            let blockEnd = r.offset + length
            switch type {
            case 4:
                guard length == 8 else { throw .invalidField("RRTR length") }
                xr.blocks.append(.receiverReferenceTime(ntpTimestamp: try r.u64()))
            case 5:
                guard length % 12 == 0 else { throw .invalidField("DLRR length") }
                var subs: [DLRRSubBlock] = []
                while r.offset < blockEnd {
                    subs.append(DLRRSubBlock(ssrc: try r.u32(), lastReceiverReport: try r.u32(), delaySinceLastReceiverReport: try r.u32()))
                }
                xr.blocks.append(.dlrr(subs))
            default:
                xr.blocks.append(.other(blockType: type, typeSpecific: specific, body: try r.bytes(length)))
            }
        }
        return xr
    }

    public func write(into bytes: inout [UInt8]) throws(RTPError) {
        let start = RTCPWriter.begin(&bytes, count: 0, packetType: RTCPPacketType.extendedReport)
        bytes.appendBigEndian(ssrc)
        for block in blocks {
            switch block {
            case .receiverReferenceTime(let ntp):
                bytes.append(4); bytes.append(0); bytes.appendBigEndian(UInt16(2))
                bytes.appendBigEndian(ntp)
            case .dlrr(let subs):
                guard subs.count * 3 <= 0xFFFF else { throw .valueTooLarge("DLRR") }
                bytes.append(5); bytes.append(0); bytes.appendBigEndian(UInt16(subs.count * 3))
                for s in subs {
                    bytes.appendBigEndian(s.ssrc)
                    bytes.appendBigEndian(s.lastReceiverReport)
                    bytes.appendBigEndian(s.delaySinceLastReceiverReport)
                }
            case .other(let type, let specific, let body):
                guard body.count % 4 == 0, body.count / 4 <= 0xFFFF else { throw .invalidLength }
                bytes.append(type); bytes.append(specific); bytes.appendBigEndian(UInt16(body.count / 4))
                bytes.append(contentsOf: body)
            }
        }
        RTCPWriter.finish(&bytes, start: start)
    }
}
