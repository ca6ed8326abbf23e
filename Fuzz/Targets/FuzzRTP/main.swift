// RTP (RFC 3550 §5.1) packets: header, RFC 8285 extensions, the VP8 payload descriptor
// (RFC 7741) and the receive path that assembles frames (jitter buffer, NACK, RTX). The input
// is a sequence of packets (FuzzInput.datagrams); SSRC and payload type come from the first,
// so the fuzzer reaches the receiver's frame assembly.
import FuzzSupport
import RTP

let extensionMap = RTPHeaderExtensionMap(mid: 9, absSendTime: 2, transportSequenceNumber: 3)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let packets = FuzzInput.datagrams(UnsafeBufferPointer(start: data, count: size))
    var receiver: RTPReceiveStream<VP8Depacketizer>?
    var now = Duration.zero
    var frames = 0
    for packet in packets {
        packet.withUnsafeBytes { buffer in
            _ = isRTCPPacket(buffer)
            guard let header = try? RTPHeader.parse(buffer) else { return }
            FuzzInput.require(header.payloadRange.upperBound <= buffer.count, "payload range past the packet")
            var elements = RTPHeaderExtensionIterator(buffer: buffer, header: header)
            var count = 0
            while let element = elements.next(), count < 300 { _ = element; count += 1 }
            _ = extensionMap.decode(buffer, header: header)
            let payload = UnsafeRawBufferPointer(rebasing: buffer[header.payloadRange])
            _ = try? VP8PayloadDescriptor.parse(payload)
            _ = (VP8Depacketizer.isFrameStart(payload), VP8Depacketizer.isKeyframe(payload))
            var frame: [UInt8] = []
            _ = try? VP8Depacketizer.appendFrameData(payload, to: &frame)
            _ = try? OpusDepacketizer.appendFrameData(payload, to: &frame)
            if receiver == nil {
                receiver = RTPReceiveStream(configuration: RTPReceiveStreamConfiguration(
                    ssrc: header.ssrc, payloadType: header.payloadType, clockRate: 90_000,
                    rtxSSRC: header.ssrc &+ 1, rtxPayloadType: header.payloadType &+ 1, localSSRC: 1, capacity: 64))
            }
            try? receiver?.receive(buffer, at: now) { _, _ in frames += 1 }
        }
        now += .milliseconds(7)
        receiver?.poll(at: now, onFrame: { _, _ in frames += 1 }, sendRTCP: { _ in })
    }
    receiver?.poll(at: now + .seconds(2), onFrame: { _, _ in frames += 1 }, sendRTCP: { _ in })
    _ = receiver?.statistics
    return 0
}
