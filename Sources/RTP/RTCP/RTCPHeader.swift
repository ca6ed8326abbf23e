/// RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1).
public enum RTCPPacketType {
    public static let senderReport: UInt8 = 200
    public static let receiverReport: UInt8 = 201
    public static let sourceDescription: UInt8 = 202
    public static let goodbye: UInt8 = 203
    public static let applicationDefined: UInt8 = 204
    /// Transport-layer feedback (RFC 4585): generic NACK (FMT 1), transport-cc (FMT 15).
    public static let transportFeedback: UInt8 = 205
    /// Payload-specific feedback: PLI (FMT 1), FIR (FMT 4), REMB (FMT 15).
    public static let payloadSpecificFeedback: UInt8 = 206
    /// RFC 3611.
    public static let extendedReport: UInt8 = 207
}

/// The common RTCP header (RFC 3550 §6.4.1): V=2, P, a 5-bit count or FMT, PT, length in
/// 32-bit words minus one.
public struct RTCPHeader: Sendable, Equatable {
    public var padding: Bool
    /// Reception report count, source count, or feedback message type (FMT).
    public var count: UInt8
    public var packetType: UInt8
    /// Whole packet length in bytes, header and padding included.
    public var packetLength: Int

    /// Reads one header at `offset` and checks that the packet fits the buffer.
    static func parse(_ buffer: UnsafeRawBufferPointer, at offset: Int) throws(RTPError) -> RTCPHeader {
        var r = ByteReader(buffer, offset: offset)
        let b0 = try r.u8()
        guard b0 >> 6 == 2 else { throw .unsupportedVersion(b0 >> 6) }
        let pt = try r.u8()
        let words = Int(try r.u16())
        let length = (words + 1) * 4
        guard buffer.count - offset >= length else { throw .invalidLength }
        return RTCPHeader(padding: b0 & 0x20 != 0, count: b0 & 0x1F, packetType: pt, packetLength: length)
    }
}

/// Helpers to write an RTCP packet: reserve the header, append the body, then patch the length.
enum RTCPWriter {
    static func begin(_ bytes: inout [UInt8], count: UInt8, packetType: UInt8) -> Int {
        let start = bytes.count
        bytes.append(0x80 | (count & 0x1F))
        bytes.append(packetType)
        bytes.appendBigEndian(UInt16(0))
        return start
    }

    /// Pads with zeros to a 32-bit boundary (or with RTCP padding when `usePaddingBit`) and
    /// writes the length field.
    static func finish(_ bytes: inout [UInt8], start: Int, usePaddingBit: Bool = false) {
        let pad = (4 - (bytes.count - start) % 4) % 4
        if pad > 0 {
            if usePaddingBit {
                for _ in 1..<pad { bytes.append(0) }
                bytes.append(UInt8(pad))
                bytes[start] |= 0x20
            } else {
                for _ in 0..<pad { bytes.append(0) }
            }
        }
        let words = (bytes.count - start) / 4 - 1
        bytes.setBigEndian(UInt16(truncatingIfNeeded: words), at: start + 2)
    }
}
