/// Generic NACK (RFC 4585 §6.2.1): PT 205, FMT 1. Each FCI entry is a packet ID (PID) and a
/// bitmask of the following 16 lost packets (BLP).
public struct RTCPGenericNACK: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var packetID: UInt16
        public var bitmaskOfLostPackets: UInt16

        public init(packetID: UInt16, bitmaskOfLostPackets: UInt16) {
            self.packetID = packetID
            self.bitmaskOfLostPackets = bitmaskOfLostPackets
        }
    }

    public static let formatType: UInt8 = 1

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var entries: [Entry]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, entries: [Entry]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }

    /// Packs lost sequence numbers (in send order) into PID+BLP entries.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, lostSequenceNumbers: some Sequence<UInt16>) {
        self.init(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, entries: [])
        for seq in lostSequenceNumbers {
            if var last = entries.last {
                let d = seq &- last.packetID
                if d >= 1 && d <= 16 {
                    last.bitmaskOfLostPackets |= 1 << (d - 1)
                    entries[entries.count - 1] = last
                    continue
                }
                if d == 0 { continue }
            }
            entries.append(Entry(packetID: seq, bitmaskOfLostPackets: 0))
        }
    }

    /// Every sequence number the entries name, in order.
    public var lostSequenceNumbers: [UInt16] {
        var out: [UInt16] = []
        for e in entries {
            out.append(e.packetID)
            for bit in 0..<16 where e.bitmaskOfLostPackets & (1 << bit) != 0 {
                out.append(e.packetID &+ UInt16(bit + 1))
            }
        }
        return out
    }

    static func parse(_ r: inout ByteReader, end: Int) throws(RTPError) -> RTCPGenericNACK {
        var nack = RTCPGenericNACK(senderSSRC: try r.u32(), mediaSSRC: try r.u32(), entries: [])
        while end - r.offset >= 4 {
            nack.entries.append(Entry(packetID: try r.u16(), bitmaskOfLostPackets: try r.u16()))
        }
        return nack
    }

    public func write(into bytes: inout [UInt8]) throws(RTPError) {
        let start = RTCPWriter.begin(&bytes, count: Self.formatType, packetType: RTCPPacketType.transportFeedback)
        bytes.appendBigEndian(senderSSRC)
        bytes.appendBigEndian(mediaSSRC)
        for e in entries {
            bytes.appendBigEndian(e.packetID)
            bytes.appendBigEndian(e.bitmaskOfLostPackets)
        }
        RTCPWriter.finish(&bytes, start: start)
    }
}

extension RTCPGenericNACK {
    /// Writes a NACK for the lost sequence numbers (ascending) without building entries.
    public static func write(
        senderSSRC: UInt32, mediaSSRC: UInt32, lostSequenceNumbers: some Sequence<UInt16>, into bytes: inout [UInt8]
    ) {
        let start = RTCPWriter.begin(&bytes, count: formatType, packetType: RTCPPacketType.transportFeedback)
        bytes.appendBigEndian(senderSSRC)
        bytes.appendBigEndian(mediaSSRC)
        var entryOffset = -1
        var pid: UInt16 = 0
        for seq in lostSequenceNumbers {
            let d = seq &- pid
            if entryOffset >= 0 && d >= 1 && d <= 16 {
                let blp = (UInt16(bytes[entryOffset + 2]) << 8 | UInt16(bytes[entryOffset + 3])) | 1 << (d - 1)
                bytes.setBigEndian(blp, at: entryOffset + 2)
            } else if entryOffset < 0 || d != 0 {
                entryOffset = bytes.count
                pid = seq
                bytes.appendBigEndian(seq)
                bytes.appendBigEndian(UInt16(0))
            }
        }
        RTCPWriter.finish(&bytes, start: start)
    }
}
