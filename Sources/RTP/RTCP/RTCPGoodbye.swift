/// BYE (RFC 3550 §6.6), PT 203: sources leaving, with an optional reason.
public struct RTCPGoodbye: Sendable, Equatable {
    public var ssrcs: [UInt32]
    public var reason: String?

    public init(ssrcs: [UInt32], reason: String? = nil) {
        self.ssrcs = ssrcs
        self.reason = reason
    }

    static func parse(_ header: RTCPHeader, _ r: inout ByteReader, end: Int) throws(RTPError) -> RTCPGoodbye {
        var bye = RTCPGoodbye(ssrcs: [])
        for _ in 0..<header.count { bye.ssrcs.append(try r.u32()) }
        if r.offset < end {
            let length = Int(try r.u8())
            guard r.offset + length <= end else { throw .truncated }
            bye.reason = String(decoding: try r.bytes(length), as: UTF8.self)
        }
        return bye
    }

    public func write(into bytes: inout [UInt8]) throws(RTPError) {
        guard ssrcs.count <= 31 else { throw .valueTooLarge("ssrcs") }
        let start = RTCPWriter.begin(&bytes, count: UInt8(ssrcs.count), packetType: RTCPPacketType.goodbye)
        for ssrc in ssrcs { bytes.appendBigEndian(ssrc) }
        if let reason {
            let utf8 = Array(reason.utf8)
            guard utf8.count <= 255 else { throw .valueTooLarge("reason") }
            bytes.append(UInt8(utf8.count))
            bytes.append(contentsOf: utf8)
        }
        RTCPWriter.finish(&bytes, start: start)
    }
}
