/// The outputs of a sans-I/O core (`ICEAgentCore`, `TURNClient`): appended while it handles
/// input or a timeout, drained by its driver one `poll()` at a time, first in first out. A
/// read index instead of `removeFirst`, and the storage kept once drained, so a steady
/// exchange of packets neither shifts nor reallocates.
struct OutputQueue<Element> {
    private var items: [Element] = []
    private var head = 0

    mutating func append(_ element: Element) { items.append(element) }

    /// The oldest element not yet polled, or nil (and the storage is reset for reuse).
    mutating func poll() -> Element? {
        guard head < items.count else {
            if !items.isEmpty { items.removeAll(keepingCapacity: true); head = 0 }
            return nil
        }
        defer { head += 1 }
        return items[head]
    }

    var isEmpty: Bool { head >= items.count }
}
