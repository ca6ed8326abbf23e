// RTCP compound packets (RFC 3550 §6, RFC 4585 feedback, RFC 3611 XR, transport-wide
// feedback), then into a receiver the way the call hands them over.
import FuzzSupport
import RTP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let buffer = UnsafeRawBufferPointer(UnsafeBufferPointer(start: data, count: size))
    _ = isRTCPPacket(buffer)
    guard let packets = try? RTCPPacket.parseCompound(buffer) else { return 0 }
    var receiver = RTPReceiveStream<VP8Depacketizer>(configuration: RTPReceiveStreamConfiguration(
        ssrc: 0x1234_5678, payloadType: 96, clockRate: 90_000, localSSRC: 1, capacity: 64))
    receiver.handleRTCP(packets, at: .seconds(5))
    receiver.poll(at: .seconds(6), onFrame: { _, _ in }, sendRTCP: { _ in })
    return 0
}
