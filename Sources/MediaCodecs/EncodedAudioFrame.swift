import MediaPrimitives
/// One Opus packet (20 ms by default) with the capture time of its first sample.
public struct EncodedAudioFrame: Sendable, Equatable {
    public var data: [UInt8]
    /// Capture time of the first sample, MonotonicClock nanoseconds.
    public var timestamp: UInt64
    /// Samples per channel at 48 kHz the packet decodes to (960 for 20 ms).
    public var sampleCount: Int
    public var channelCount: Int

    public init(data: [UInt8], timestamp: UInt64, sampleCount: Int, channelCount: Int) {
        self.data = data
        self.timestamp = timestamp
        self.sampleCount = sampleCount
        self.channelCount = channelCount
    }

    /// A DTX packet (1-2 bytes: TOC only) carries no audio; RFC 7587 §3.1.3 lets a sender
    /// skip sending it, but the RTP timestamp still advances.
    public var isDiscontinuous: Bool { data.count <= 2 }

    /// The 48 kHz RTP timestamp (RFC 7587 §4.1) with the stream's initial `offset`.
    public func rtpTimestamp(offset: UInt32 = 0) -> UInt32 {
        MediaTimestamp.rtpTimestamp(captureNanoseconds: timestamp, clockRate: MediaTimestamp.audioClockRate, offset: offset)
    }
}
