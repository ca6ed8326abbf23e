/// The one rule that tells RTCP from RTP on a shared port. RFC 7983 §7 classes a first byte
/// of 128-191 as RTP or RTCP (ICE's `DatagramKind.rtp`); under rtcp-mux, RFC 5761 §4 tells
/// the two apart by the second byte: 192...223 (RTCP packet types 192-223, i.e. RTP payload
/// types 64-95 with M set) means RTCP. `RTCDtlsTransport` picks SRTP or SRTCP with it.
public func isRTCPPacket(_ buffer: UnsafeRawBufferPointer) -> Bool {
    guard buffer.count >= 2, buffer[0] >> 6 == 2 else { return false }
    return (192...223).contains(buffer[1])
}

/// `isRTCPPacket(_:)` over an array, without copying it.
public func isRTCPPacket(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { isRTCPPacket($0) }
}
