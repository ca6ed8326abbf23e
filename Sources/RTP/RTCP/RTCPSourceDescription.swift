/// SDES: source description (RFC 3550 §6.5), PT 202. Each chunk is an SSRC and its items;
/// CNAME (type 1) is the one WebRTC uses.
public struct RTCPSourceDescription: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var type: UInt8
        public var value: [UInt8]

        public init(type: UInt8, value: [UInt8]) {
            self.type = type
            self.value = value
        }

        public static func cname(_ text: String) -> Item { Item(type: 1, value: Array(text.utf8)) }
    }

    public struct Chunk: Sendable, Equatable {
        public var ssrc: UInt32
        public var items: [Item]

        public init(ssrc: UInt32, items: [Item]) {
            self.ssrc = ssrc
            self.items = items
        }

        /// The CNAME item as text, if any.
        public var cname: String? {
            items.first { $0.type == 1 }.map { String(decoding: $0.value, as: UTF8.self) }
        }
    }

    public var chunks: [Chunk]

    public init(chunks: [Chunk]) { self.chunks = chunks }

    public init(ssrc: UInt32, cname: String) {
        chunks = [Chunk(ssrc: ssrc, items: [.cname(cname)])]
    }

    static func parse(_ header: RTCPHeader, _ r: inout ByteReader, end: Int) throws(RTPError) -> RTCPSourceDescription {
        var chunks: [Chunk] = []
        for _ in 0..<header.count {
            var chunk = Chunk(ssrc: try r.u32(), items: [])
            while true {
                guard r.offset < end else { throw .truncated }
                let type = try r.u8()
                if type == 0 {
                    // End of the item list: skip null octets to the next 32-bit boundary.
                    while r.offset % 4 != 0 && r.offset < end { try r.skip(1) }
                    break
                }
                let length = Int(try r.u8())
                guard r.offset + length <= end else { throw .truncated }
                chunk.items.append(Item(type: type, value: try r.bytes(length)))
            }
            chunks.append(chunk)
        }
        return RTCPSourceDescription(chunks: chunks)
    }

    public func write(into bytes: inout [UInt8]) throws(RTPError) {
        guard chunks.count <= 31 else { throw .valueTooLarge("chunks") }
        let start = RTCPWriter.begin(&bytes, count: UInt8(chunks.count), packetType: RTCPPacketType.sourceDescription)
        for chunk in chunks {
            let chunkStart = bytes.count
            bytes.appendBigEndian(chunk.ssrc)
            for item in chunk.items {
                guard item.type != 0, item.value.count <= 255 else { throw .valueTooLarge("SDES item") }
                bytes.append(item.type)
                bytes.append(UInt8(item.value.count))
                bytes.append(contentsOf: item.value)
            }
            // At least one null octet, then pad the chunk to 32 bits (RFC 3550 §6.5).
            bytes.append(0)
            while (bytes.count - chunkStart) % 4 != 0 { bytes.append(0) }
        }
        RTCPWriter.finish(&bytes, start: start)
    }
}
