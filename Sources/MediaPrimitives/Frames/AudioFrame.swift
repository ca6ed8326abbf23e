/// A run of interleaved signed 16-bit PCM samples, typically 10 or 20 ms of them.
public struct AudioFrame: Sendable {
    public var sampleRate: Int
    public var channelCount: Int
    /// Interleaved samples: `frameCount * channelCount` values.
    public var samples: [Int16]
    /// Capture time of the first sample on the monotonic clock, in nanoseconds.
    public var timestamp: UInt64

    public var frameCount: Int { channelCount == 0 ? 0 : samples.count / channelCount }

    public init(sampleRate: Int, channelCount: Int, samples: [Int16], timestamp: UInt64) {
        self.sampleRate = sampleRate
        self.channelCount = channelCount
        self.samples = samples
        self.timestamp = timestamp
    }
}
