/// A few reused sample buffers for a producer of frames (a camera or a microphone, crop-and-
/// scale, the sender's adaptation), so that a warm pipeline allocates no buffer per frame.
/// `VideoFramePool` and `AudioFramePool` are its two uses.
///
/// A buffer handed out is shared with the pool (`Array` is copy-on-write). When the consumers
/// (the track's sinks, the encoder's queue) have let go of it by the time its turn comes round
/// again, the pool holds the only reference and the next frame is written in place; a buffer
/// still held is left to its holder and the pool allocates a new one (never writes into a
/// frame someone still reads).
///
/// The pool starts with two buffers and grows by one, up to `capacity`, each time a consumer
/// still held a buffer when its turn came: as many as the consumers keep, no more. An encoder
/// on the device's own thread lets each frame go before the next is made, and two buffers do
/// (the four a fixed round took were 0.9 MB at 640x480 that nothing read,
/// docs/performance.md, round 8); an encoder's queue of 2 plus the one being encoded takes 4.
///
/// Everything is inlinable, so that each producer gets it specialized for its element type:
/// unspecialized, every frame looked its storage's generic metadata up (a microphone's new
/// `[Int16]` each 10 ms: round 9's profile, docs/performance.md).
public struct FrameBufferPool<Element: FixedWidthInteger & Sendable>: Sendable {
    @usableFromInline var buffers: [[Element]]
    @usableFromInline var next = 0
    /// The most buffers the pool grows to.
    public let capacity: Int
    /// Buffers allocated after the pool was warm: a consumer held on to a frame for a whole
    /// round of a pool already at `capacity`, or the frame size changed.
    public var allocations: Int { reallocations }
    @usableFromInline var reallocations = 0

    @inlinable
    public init(count: Int = 4) {
        capacity = max(2, count)
        buffers = Array(repeating: [], count: 2)
    }

    /// The buffers it has now (2 to `capacity`).
    @inlinable
    public var count: Int { buffers.count }

    /// A buffer of `count` elements that `fill` writes (all of them: it holds the previous
    /// frame of this slot, or zeros when new).
    @inlinable
    public mutating func makeBuffer<E: Error>(
        count: Int, _ fill: (UnsafeMutableBufferPointer<Element>) throws(E) -> Void
    ) throws(E) -> [Element] {
        var buffer = takeBuffer(count: count)
        // A buffer a consumer still holds is copied by the mutable access (copy-on-write):
        // the base address shows it.
        let before = buffer.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        var held = false
        defer { giveBack(buffer, held: held) }
        try buffer.withUnsafeMutableBufferPointer { (p) throws(E) in
            held = UInt(bitPattern: p.baseAddress) != before
            try fill(p)
        }
        return buffer
    }

    /// The slot's buffer at `count` elements; the slot lets go of it, so that it is unique
    /// unless a consumer holds it.
    @inlinable
    mutating func takeBuffer(count: Int) -> [Element] {
        var buffer = buffers[next]
        buffers[next] = []
        if buffer.count != count {
            if !buffer.isEmpty { reallocations += 1 }
            buffer = [Element](repeating: 0, count: count)
        }
        return buffer
    }

    /// The buffer back in its slot; `held`: a consumer still held the old one, so the pool
    /// makes one more next round (a fresh one, made next), unless it is full.
    @inlinable
    mutating func giveBack(_ buffer: [Element], held: Bool) {
        let i = next
        buffers[i] = buffer
        if held {
            if buffers.count < capacity { buffers.insert([], at: i + 1) } else { reallocations += 1 }
        }
        next = (i + 1) % buffers.count
    }
}
