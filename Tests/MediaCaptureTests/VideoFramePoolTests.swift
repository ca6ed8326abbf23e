import MediaPrimitives
import Testing

/// The frame pool grows to what its consumers keep, and never writes into a held picture.
@Suite struct VideoFramePoolTests {
    static func frame(_ pool: inout VideoFramePool, _ n: Int) -> VideoFrame {
        pool.makeFrame(width: 64, height: 48, timestamp: UInt64(n)) { $0.update(repeating: UInt8(truncatingIfNeeded: n)) }
    }

    static func address(_ frame: VideoFrame) -> UInt {
        frame.data.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
    }

    /// A consumer that lets each frame go before the next is made (an encoder on the
    /// camera's thread): two buffers, taken in turn.
    @Test func framesLetGoTakeTwoBuffers() {
        var pool = VideoFramePool(count: 4)
        var seen: Set<UInt> = []
        for n in 0..<20 {
            let f = Self.frame(&pool, n)
            #expect(f.data[0] == UInt8(n))
            seen.insert(Self.address(f))
        }
        #expect(pool.count == 2 && seen.count == 2 && pool.allocations == 0)
    }

    /// A consumer that keeps the last three (an encoder's queue of 2 and the frame it
    /// encodes): the pool grows to four, then allocates nothing; no held picture changes.
    @Test func heldFramesGrowThePoolToItsCapacity() {
        var pool = VideoFramePool(count: 4)
        var held: [VideoFrame] = []
        var seen: Set<UInt> = []
        for n in 0..<40 {
            held.append(Self.frame(&pool, n))
            if held.count > 3 { held.remove(at: 0) }
            for (k, f) in held.enumerated() {
                let expected = UInt8(n - held.count + 1 + k)
                #expect(f.data.allSatisfy { $0 == expected }, "frame \(expected) was written over")
            }
            if n >= 10 { for f in held { seen.insert(Self.address(f)) } }
        }
        #expect(pool.count == 4 && pool.allocations == 0 && seen.count == 4)
    }

    /// A consumer that keeps more than the capacity: every frame past it is a new buffer,
    /// counted as an allocation.
    @Test func holdingMoreThanTheCapacityIsCounted() {
        var pool = VideoFramePool(count: 2)
        var held: [VideoFrame] = []
        for n in 0..<10 { held.append(Self.frame(&pool, n)) }
        #expect(pool.count == 2 && pool.allocations == 8)
        #expect(held.enumerated().allSatisfy { k, f in f.data.allSatisfy { $0 == UInt8(k) } })
    }

    struct FillFailed: Error {}

    /// A fill that throws (a file camera's short read) leaves the pool whole: the buffer goes
    /// back to its slot with the picture it held and the turn moves on, so the next frame
    /// reuses the other buffer (frame 2's) and the ones after take the same two (a fresh
    /// buffer would come zeroed).
    @Test func aFillThatThrowsGivesTheBufferBack() {
        var pool = VideoFramePool(count: 4)
        for n in 1...2 { _ = Self.frame(&pool, n) }
        #expect(throws: FillFailed.self) {
            try pool.makeFrame(width: 64, height: 48, timestamp: 3) { (_) throws(FillFailed) in throw FillFailed() }
        }
        var found: UInt8?
        _ = pool.makeFrame(width: 64, height: 48, timestamp: 4) { p in
            found = p[0]
            p.update(repeating: 4)
        }
        #expect(found == 2, "a reused buffer (frame 2's), not a fresh one")
        for n in 5..<10 { _ = Self.frame(&pool, n) }
        #expect(pool.count == 2 && pool.allocations == 0)
    }
}
