/// A few reused picture buffers for a producer of `VideoFrame`s (a camera, crop-and-scale,
/// the sender's adaptation), so that a warm pipeline allocates no frame per frame.
///
/// A frame handed out shares its storage with the pool (`[UInt8]` is copy-on-write). When the
/// consumers (the track's sinks, the encoder's queue) have let go of it by the time its turn
/// comes round again, the pool holds the only reference and the next picture is written in
/// place; a buffer still held is left to its holder and the pool allocates a new one (never
/// writes into a picture someone still reads).
///
/// The pool starts with two buffers and grows by one, up to `count`, each time a consumer
/// still held a buffer when its turn came: as many as the consumers keep, no more. An encoder
/// on the camera's own thread lets each frame go before the next is made, and two buffers do
/// (the four a fixed round took were 0.9 MB at 640x480 that nothing read,
/// docs/performance.md, round 8); an encoder's queue of 2 plus the one being encoded takes 4.
public struct VideoFramePool: Sendable {
    private var buffers: [[UInt8]]
    private var next = 0
    /// The most buffers the pool grows to.
    public let capacity: Int
    /// Buffers allocated after the pool was warm: a consumer held on to a frame for a whole
    /// round of a pool already at `capacity`, or the picture size changed.
    public private(set) var allocations = 0

    public init(count: Int = 4) {
        capacity = max(2, count)
        buffers = Array(repeating: [], count: 2)
    }

    /// The buffers it has now (2 to `capacity`).
    public var count: Int { buffers.count }

    /// A `width` x `height` frame whose bytes `fill` writes (all of them: the buffer holds the
    /// previous picture of this slot, or zeros when new). Inlinable, so that each caller gets
    /// it specialized for its error type: unspecialized, every frame looked up generic
    /// metadata (0.3% of a 480p sender's samples).
    @inlinable
    public mutating func makeFrame<E: Error>(
        width: Int, height: Int, timestamp: UInt64,
        _ fill: (UnsafeMutableBufferPointer<UInt8>) throws(E) -> Void
    ) throws(E) -> VideoFrame {
        var buffer = takeBuffer(byteCount: VideoFrame.byteCount(width: width, height: height))
        // A buffer a consumer still holds is copied by the mutable access (copy-on-write):
        // the base address shows it.
        let before = buffer.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        var held = false
        defer { giveBack(buffer, held: held) }
        try buffer.withUnsafeMutableBufferPointer { (p) throws(E) in
            held = UInt(bitPattern: p.baseAddress) != before
            try fill(p)
        }
        return VideoFrame(width: width, height: height, data: buffer, timestamp: timestamp)
    }

    /// The slot's buffer at `byteCount` bytes; the slot lets go of it, so that it is unique
    /// unless a consumer holds it.
    @usableFromInline
    mutating func takeBuffer(byteCount: Int) -> [UInt8] {
        var buffer = buffers[next]
        buffers[next] = []
        if buffer.count != byteCount {
            if !buffer.isEmpty { allocations += 1 }
            buffer = [UInt8](repeating: 0, count: byteCount)
        }
        return buffer
    }

    /// The buffer back in its slot; `held`: a consumer still held the old one, so the pool
    /// makes one more next round (a fresh one, made next), unless it is full.
    @usableFromInline
    mutating func giveBack(_ buffer: [UInt8], held: Bool) {
        let i = next
        buffers[i] = buffer
        if held {
            if buffers.count < capacity { buffers.insert([], at: i + 1) } else { allocations += 1 }
        }
        next = (i + 1) % buffers.count
    }
}
