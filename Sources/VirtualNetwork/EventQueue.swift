/// A binary min-heap of scheduled events, ordered by time and then by insertion order, so
/// that events at the same instant fire in the order they were scheduled (determinism). Public
/// for the real-clock link relay, which keeps its pending deliveries in one.
public struct EventQueue<Payload> {
    private struct Entry {
        var time: Duration
        var order: UInt64
        var payload: Payload
    }

    private var heap: [Entry] = []
    private var nextOrder: UInt64 = 0

    public init() {}

    public var isEmpty: Bool { heap.isEmpty }
    public var count: Int { heap.count }
    public var nextTime: Duration? { heap.first?.time }

    public mutating func insert(_ payload: Payload, at time: Duration) {
        heap.append(Entry(time: time, order: nextOrder, payload: payload))
        nextOrder += 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.less(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    public mutating func popFirst() -> (time: Duration, payload: Payload)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let entry = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && Self.less(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count && Self.less(heap[right], heap[smallest]) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return (entry.time, entry.payload)
    }

    private static func less(_ a: Entry, _ b: Entry) -> Bool {
        a.time < b.time || (a.time == b.time && a.order < b.order)
    }
}
