import MediaPrimitives
/// One compressed VP8 frame. It keeps the capture timestamp of the picture it came from, so
/// the timestamp survives encoding and the RTP timestamp follows from the capture clock.
public struct EncodedVideoFrame: Sendable, Equatable {
    public var data: [UInt8]
    /// Capture time of the source picture, MonotonicClock nanoseconds.
    public var timestamp: UInt64
    public var isKeyframe: Bool
    public var width: Int
    public var height: Int
    /// The quantizer the encoder used (libvpx's q index, 0-127, as libwebrtc reports it in
    /// webrtc-stats `qpSum`); nil when unknown. Near the floor the encoder has more bits
    /// than the content needs: its output then stays under the target.
    public var qp: Int?

    public init(data: [UInt8], timestamp: UInt64, isKeyframe: Bool, width: Int, height: Int, qp: Int? = nil) {
        self.data = data
        self.timestamp = timestamp
        self.isKeyframe = isKeyframe
        self.width = width
        self.height = height
        self.qp = qp
    }

    /// The 90 kHz RTP timestamp (RFC 7741 §4.1) with the stream's initial `offset`.
    public func rtpTimestamp(offset: UInt32 = 0) -> UInt32 {
        MediaTimestamp.rtpTimestamp(captureNanoseconds: timestamp, clockRate: MediaTimestamp.videoClockRate, offset: offset)
    }
}
