/// Settings of a real-time VP8 encoder. Anything left nil follows from the picture size and
/// frame rate (see `VP8Encoder.defaultBitrate`, `defaultCPUUsed`, `defaultThreads`).
public struct VP8EncoderConfiguration: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// The track's declared frame rate. Rate control also follows the real capture
    /// timestamps (libvpx sees each frame's true duration on a 90 kHz time base).
    public var frameRate: Double
    /// Target bitrate in bit/s; nil: `VP8Encoder.defaultBitrate(...)`.
    public var targetBitrate: Int?
    /// The user's cap in bit/s: the target never exceeds it, even when set later.
    public var maxBitrate: Int
    /// libvpx cpu-used (-16...16); nil: by resolution (faster for bigger pictures).
    public var cpuUsed: Int?
    /// Encoder threads; nil: by resolution and core count.
    public var threads: Int?
    /// log2 of the number of token partitions; nil: 1 when threaded, else 0.
    public var tokenPartitions: Int?
    /// A keyframe at least every this many frames (0: only the first and on request).
    public var keyframeInterval: Int
    /// Error resilient mode: frames decode after a loss without relying on lost probability
    /// updates (what WebRTC senders use).
    public var errorResilient: Bool
    /// Rate-control frame dropping threshold in percent of buffer (0 disables).
    public var frameDropThreshold: Int
    public var minQuantizer: Int
    public var maxQuantizer: Int
    /// Cap on a keyframe's size in percent of the average frame (VP8E_SET_MAX_INTRA_BITRATE_PCT).
    public var maxIntraBitratePercent: Int
    public var undershootPercent: Int
    public var overshootPercent: Int
    /// Decoder buffer model in milliseconds (rc_buf_sz / initial / optimal).
    public var bufferSize: Int
    public var bufferInitialSize: Int
    public var bufferOptimalSize: Int
    public var staticThreshold: Int
    /// The shortest capture-time gap between two forced keyframes, in nanoseconds (requests
    /// in between wait; see `VP8Encoder.requestKeyframe`). 0 forces every request at once.
    public var minKeyframeInterval: UInt64

    public init(width: Int, height: Int, frameRate: Double = 30, targetBitrate: Int? = nil,
                maxBitrate: Int = VP8Encoder.defaultMaxBitrate, cpuUsed: Int? = nil, threads: Int? = nil,
                tokenPartitions: Int? = nil, keyframeInterval: Int = 3000, errorResilient: Bool = true,
                frameDropThreshold: Int = 0) {
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.targetBitrate = targetBitrate
        self.maxBitrate = maxBitrate
        self.cpuUsed = cpuUsed
        self.threads = threads
        self.tokenPartitions = tokenPartitions
        self.keyframeInterval = keyframeInterval
        self.errorResilient = errorResilient
        self.frameDropThreshold = frameDropThreshold
        // Values of WebRTC's libvpx VP8 wrapper: real-time CBR with a small buffer.
        minQuantizer = 2
        maxQuantizer = 56
        maxIntraBitratePercent = 900
        undershootPercent = 100
        overshootPercent = 15
        bufferSize = 1000
        bufferInitialSize = 500
        bufferOptimalSize = 600
        staticThreshold = 1
        minKeyframeInterval = 300_000_000
    }

    /// The target actually used: the explicit target or the default, under the cap.
    public var effectiveBitrate: Int {
        min(targetBitrate ?? VP8Encoder.defaultBitrate(width: width, height: height, frameRate: frameRate), maxBitrate)
    }
    public var effectiveCPUUsed: Int { cpuUsed ?? VP8Encoder.defaultCPUUsed(width: width, height: height) }
    public var effectiveThreads: Int { threads ?? VP8Encoder.defaultThreads(width: width, height: height) }
    /// Two token partitions from 720p up, whatever the encoder's threads: they let a
    /// receiver's decoder threads share a picture (a browser's, or Tincan's on 4 cores).
    public var effectiveTokenPartitions: Int { tokenPartitions ?? (width * height >= 1280 * 720 ? 1 : 0) }
}
