import Dispatch
import Testing
import VideoWindow

@Suite struct LatestFrameSlotTests {
    @Test("the consumer gets the newest value; each one replaced unseen is a drop")
    func dropOldest() {
        let slot = LatestFrameSlot<Int>()
        #expect(slot.take() == nil)
        slot.put(1)
        #expect(slot.take() == 1)
        #expect(slot.take() == nil, "a value is taken once")
        slot.put(2); slot.put(3); slot.put(4)
        #expect(slot.take() == 4)
        let c = slot.counters
        #expect(c.offered == 4 && c.taken == 2 && c.dropped == 2, "\(c)")
    }

    @Test("producers on other threads never wait for the consumer; offered = taken + dropped + what waits")
    func concurrent() async {
        let slot = LatestFrameSlot<Int>()
        let producers = 4, each = 5_000
        let taken = await withTaskGroup(of: Int.self) { group in
            for p in 0..<producers {
                group.addTask {
                    await withCheckedContinuation { c in
                        DispatchQueue.global().async {
                            for i in 0..<each { slot.put(p * each + i) }
                            c.resume()
                        }
                    }
                    return 0
                }
            }
            group.addTask {
                var n = 0
                for _ in 0..<2_000 { if slot.take() != nil { n += 1 }; await Task.yield() }
                return n
            }
            return await group.reduce(0, +)
        }
        let c = slot.counters
        let waiting: Int64 = slot.take() == nil ? 0 : 1
        #expect(c.offered == Int64(producers * each))
        #expect(c.taken == Int64(taken))
        #expect(c.offered == c.taken + c.dropped + waiting)
    }
}
