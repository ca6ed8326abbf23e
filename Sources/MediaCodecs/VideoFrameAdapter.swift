import MediaPrimitives

/// Applies a `VideoAdaptation` decision to the track's frames before the encoder: frame-rate
/// decimation by capture timestamps (the frames kept keep their real cadence and stamps)
/// and crop-and-scale with MediaPrimitives' `VideoShaper` (libyuv) into a small pool of
/// reused buffers, so a warm adapter allocates nothing per frame as long as the consumer
/// (the encoder worker and its queue) lets go of a buffer within `poolSize` frames.
public struct VideoFrameAdapter: Sendable {
    public private(set) var width: Int
    public private(set) var height: Int
    public private(set) var frameRate: Double
    /// Frames left out by the frame-rate decimation (counted, shown in stats).
    public private(set) var framesDecimated = 0
    public let poolSize: Int
    private var shaper: VideoShaper?
    private var decimator: FrameDecimator
    private var pool: VideoFramePool
    private let sourceFrameRate: Double

    /// `sourceFrameRate`: the track's frame rate (its settings); the target starts there.
    public init(width: Int, height: Int, sourceFrameRate: Double, poolSize: Int = 4) {
        self.width = width
        self.height = height
        self.sourceFrameRate = sourceFrameRate
        frameRate = sourceFrameRate
        self.poolSize = max(2, poolSize)
        decimator = FrameDecimator(sourceRate: sourceFrameRate, targetRate: sourceFrameRate)
        pool = VideoFramePool(count: max(2, poolSize))
    }

    /// Follows a new decision (size and rate to send).
    public mutating func apply(_ decision: VideoAdaptation.Decision) {
        set(width: decision.width, height: decision.height, frameRate: decision.frameRate)
    }

    public mutating func set(width: Int, height: Int, frameRate: Double) {
        if width != self.width || height != self.height {
            self.width = width
            self.height = height
            shaper = nil
        }
        if frameRate != self.frameRate {
            self.frameRate = frameRate
            decimator = FrameDecimator(sourceRate: sourceFrameRate, targetRate: frameRate)
        }
    }

    /// The frame to encode, or nil when the decimation leaves it out. A frame already of the
    /// target size is passed through untouched (no copy).
    public mutating func adapt(_ frame: VideoFrame) -> VideoFrame? {
        guard decimator.admit(frame.timestamp) else {
            framesDecimated += 1
            return nil
        }
        if frame.width == width && frame.height == height { return frame }
        if shaper?.nativeWidth != frame.width || shaper?.nativeHeight != frame.height {
            shaper = VideoShaper(nativeWidth: frame.width, nativeHeight: frame.height, width: width, height: height)
        }
        guard let shaper else { return frame }
        return shaper.shape(frame, pool: &pool)
    }
}
