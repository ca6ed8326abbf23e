/// The rate of frames really reaching an encoder, over the last second of capture time
/// (libwebrtc's VideoStreamEncoder keeps the same figure, `input_framerate_`, for its
/// encoder). Fixed storage: a ring of the newest timestamps, no per-frame allocation.
public struct FrameRateEstimator: Sendable {
    /// The window the rate is measured over, in nanoseconds.
    public let window: UInt64
    private var ring: [UInt64]
    private var start = 0
    private var count = 0
    /// The latest estimate in frames per second (the initial guess until two frames fall
    /// into one window).
    public private(set) var framesPerSecond: Double

    public init(initial: Double, window: UInt64 = 1_000_000_000, capacity: Int = 128) {
        framesPerSecond = initial
        self.window = window
        ring = [UInt64](repeating: 0, count: max(2, capacity))
    }

    /// Adds a frame captured at `timestamp` (nanoseconds, not decreasing) and returns the rate.
    @discardableResult
    public mutating func add(_ timestamp: UInt64) -> Double {
        if count == ring.count { start = (start + 1) % ring.count; count -= 1 }
        ring[(start + count) % ring.count] = timestamp
        count += 1
        while count > 1, timestamp > ring[start], timestamp - ring[start] > window {
            start = (start + 1) % ring.count
            count -= 1
        }
        let oldest = ring[start]
        if count >= 2, timestamp > oldest {
            // n frames span n-1 intervals; a frame alone after a long stall keeps the old value.
            framesPerSecond = Double(count - 1) * 1e9 / Double(timestamp - oldest)
        }
        return framesPerSecond
    }
}
