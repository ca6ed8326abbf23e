/// Reused picture buffers for a producer of `VideoFrame`s (a camera, crop-and-scale, the
/// sender's adaptation): a `FrameBufferPool` of bytes, which says how buffers are shared,
/// grown and counted.
public struct VideoFramePool: Sendable {
    @usableFromInline var pool: FrameBufferPool<UInt8>

    public init(count: Int = 4) { pool = FrameBufferPool(count: count) }

    /// The most buffers the pool grows to.
    public var capacity: Int { pool.capacity }
    /// The buffers it has now (2 to `capacity`).
    public var count: Int { pool.count }
    /// Buffers allocated after the pool was warm (`FrameBufferPool.allocations`).
    public var allocations: Int { pool.allocations }

    /// A `width` x `height` frame whose bytes `fill` writes (all of them: the buffer holds the
    /// previous picture of this slot, or zeros when new). Inlinable, so that each caller gets
    /// it specialized for its error type: unspecialized, every frame looked up generic
    /// metadata (0.3% of a 480p sender's samples).
    @inlinable
    public mutating func makeFrame<E: Error>(
        width: Int, height: Int, timestamp: UInt64,
        _ fill: (UnsafeMutableBufferPointer<UInt8>) throws(E) -> Void
    ) throws(E) -> VideoFrame {
        let data = try pool.makeBuffer(count: VideoFrame.byteCount(width: width, height: height), fill)
        return VideoFrame(width: width, height: height, data: data, timestamp: timestamp)
    }
}
