/// What the jitter buffer needs to know about a payload format to rebuild frames. Its
/// metatype is what a codec registration holds, hence `SendableMetatype`.
public protocol RTPDepacketizer: SendableMetatype {
    /// True if this payload begins a new frame (lets the buffer resynchronize after loss).
    static func isFrameStart(_ payload: UnsafeRawBufferPointer) -> Bool
    /// True if the frame beginning with this payload is independently decodable.
    static func isKeyframe(_ firstPayload: UnsafeRawBufferPointer) -> Bool
    /// Appends this payload's media bytes (format headers removed) to `frame`.
    static func appendFrameData(_ payload: UnsafeRawBufferPointer, to frame: inout [UInt8]) throws(RTPError)
    /// True when every packet is a whole frame (audio); video frames end at the marker bit.
    static var everyPacketIsFrame: Bool { get }
}

extension RTPDepacketizer {
    /// Audio formats where each packet is a whole frame (Opus) override this with true;
    /// video frames end at the packet with the RTP marker bit.
    public static var everyPacketIsFrame: Bool { false }
}
