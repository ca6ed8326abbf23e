/// A few reused picture buffers for a producer of `VideoFrame`s (a camera, crop-and-scale,
/// the sender's adaptation), so that a warm pipeline allocates no frame per frame.
///
/// A frame handed out shares its storage with the pool (`[UInt8]` is copy-on-write). When the
/// consumers (the track's sinks, the encoder's queue) have let go of it by the time its turn
/// comes round again, the pool holds the only reference and the next picture is written in
/// place; a buffer still held is left to its holder and the pool allocates a new one (never
/// writes into a picture someone still reads). So `count` should exceed the frames a
/// consumer keeps: the encoder's queue of 2 plus the one being encoded.
public struct VideoFramePool: Sendable {
    private var buffers: [[UInt8]]
    private var next = 0
    /// Buffers allocated after the pool was warm: a consumer held on to a frame for a whole
    /// round of the pool, or the picture size changed.
    public private(set) var allocations = 0

    public init(count: Int = 4) {
        buffers = Array(repeating: [], count: max(2, count))
    }

    public var count: Int { buffers.count }

    /// A `width` x `height` frame whose bytes `fill` writes (all of them: the buffer holds the
    /// previous picture of this slot, or zeros when new).
    public mutating func makeFrame<E: Error>(
        width: Int, height: Int, timestamp: UInt64,
        _ fill: (UnsafeMutableBufferPointer<UInt8>) throws(E) -> Void
    ) throws(E) -> VideoFrame {
        let bytes = VideoFrame.byteCount(width: width, height: height)
        let i = next
        next = (next + 1) % buffers.count
        var buffer = buffers[i]
        buffers[i] = []  // the slot lets go, so `buffer` is unique unless a consumer holds it
        if buffer.count != bytes {
            if !buffer.isEmpty { allocations += 1 }
            buffer = [UInt8](repeating: 0, count: bytes)
        }
        // A buffer a consumer still holds is copied by the mutable access (copy-on-write):
        // the base address shows it.
        let before = buffer.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        try buffer.withUnsafeMutableBufferPointer { (p) throws(E) in
            if UInt(bitPattern: p.baseAddress) != before { allocations += 1 }
            try fill(p)
        }
        buffers[i] = buffer
        return VideoFrame(width: width, height: height, data: buffer, timestamp: timestamp)
    }
}
