import RTP

/// A received stream's jitter buffer (`RTPReceiveStream`) with its payload format erased: the
/// receiver keeps one, made for the negotiated codec's depacketizer, and has no path per
/// codec.
protocol RTPFrameAssembler: Sendable {
    var statistics: RTCInboundRtpStreamStats { get }
    mutating func receive(_ packet: UnsafeRawBufferPointer, at now: Duration,
                          onFrame: (RTPAssembledFrame, UnsafeRawBufferPointer) -> Void) throws(RTPError)
    mutating func poll(at now: Duration, onFrame: (RTPAssembledFrame, UnsafeRawBufferPointer) -> Void,
                       sendRTCP: (UnsafeRawBufferPointer) -> Void)
    mutating func handleRTCP(_ packets: [RTCPPacket], at now: Duration)
    mutating func decoderLostFrame()
    func nextDeadline(after now: Duration) -> Duration?
}

extension RTPReceiveStream: RTPFrameAssembler {}

/// A jitter buffer for a registered depacketizer (the metatype opened here).
func makeFrameAssembler(_ format: any RTPDepacketizer.Type, configuration: RTPReceiveStreamConfiguration) -> any RTPFrameAssembler {
    func open<F: RTPDepacketizer>(_ f: F.Type) -> any RTPFrameAssembler { RTPReceiveStream<F>(configuration: configuration) }
    return open(format)
}
