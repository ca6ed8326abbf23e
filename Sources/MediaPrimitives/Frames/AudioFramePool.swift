/// Reused sample buffers for a producer of `AudioFrame`s (the file and synthetic microphones;
/// ALSA capture reads into its one buffer, which stays unique while the sinks let go): a
/// `FrameBufferPool` of samples, which says how buffers are shared, grown and counted. A new
/// `[Int16]` every 10 ms cost an allocation and a run-time lookup of its storage's generic
/// metadata (`_ContiguousArrayStorage<Int16>` is not prespecialized).
public struct AudioFramePool: Sendable {
    @usableFromInline var pool: FrameBufferPool<Int16>

    public init(count: Int = 4) { pool = FrameBufferPool(count: count) }

    /// The buffers it has now (2 to its capacity).
    public var count: Int { pool.count }
    /// Buffers allocated after the pool was warm (`FrameBufferPool.allocations`).
    public var allocations: Int { pool.allocations }

    /// `frameCount` frames of `channelCount` interleaved samples, which `fill` writes (all of
    /// them: the buffer holds this slot's previous samples, or zeros when new).
    @inlinable
    public mutating func makeFrame<E: Error>(
        sampleRate: Int, channelCount: Int, frameCount: Int, timestamp: UInt64,
        _ fill: (UnsafeMutableBufferPointer<Int16>) throws(E) -> Void
    ) throws(E) -> AudioFrame {
        let samples = try pool.makeBuffer(count: frameCount * channelCount, fill)
        return AudioFrame(sampleRate: sampleRate, channelCount: channelCount, samples: samples, timestamp: timestamp)
    }
}
