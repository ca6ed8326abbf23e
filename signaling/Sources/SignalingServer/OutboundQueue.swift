import NIOWebSocket
import Synchronization

/// What one room connection still has to send, bounded in bytes. A peer that stops reading
/// blocks the writer on its full socket; what the room keeps sending it piles up here until
/// the bound, and then the connection is ended (`overflow`) instead of the server's memory
/// growing without limit.
final class OutboundQueue: Sendable {
    enum Item: Sendable {
        case text(String)
        /// The last item: a close frame.
        case close(WebSocketErrorCode, String)
    }

    let limitBytes: Int
    private let counters: SignalServerCounters
    private struct State {
        var items: [Item] = []
        var head = 0
        var bytes = 0
        /// A close is queued (or the writer is gone): nothing more is taken.
        var finished = false
        var waiter: CheckedContinuation<Item?, Never>?
        /// Messages refused because the queue was full or finished, for the log.
        var dropped = 0
    }
    private let state = Mutex(State())

    init(limitBytes: Int, counters: SignalServerCounters = SignalServerCounters()) {
        self.limitBytes = limitBytes
        self.counters = counters
    }

    enum PushResult { case queued, full, finished }

    /// Queues a text message; `.full` when it does not fit (the caller ends the connection).
    func push(_ text: String) -> PushResult {
        let (result, waiter, queued) = state.withLock { s -> (PushResult, CheckedContinuation<Item?, Never>?, Int) in
            if s.finished { s.dropped += 1; return (.finished, nil, 0) }
            if let w = s.waiter {
                s.waiter = nil
                return (.queued, w, 0)
            }
            let size = text.utf8.count
            if s.bytes + size > limitBytes { s.dropped += 1; return (.full, nil, 0) }
            s.items.append(.text(text))
            s.bytes += size
            return (.queued, nil, s.bytes)
        }
        waiter?.resume(returning: .text(text))
        switch result {
        case .queued: counters.noteQueued(queued)
        case .full, .finished: counters.countDropped()
        }
        return result
    }

    /// Queues the close frame after what is queued (`dropQueued`: instead of it), and takes
    /// nothing more. False when the queue was already closed or finished.
    @discardableResult
    func close(_ code: WebSocketErrorCode, _ reason: String, dropQueued: Bool = false) -> Bool {
        let (closed, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Item?, Never>?) in
            if s.finished { return (false, nil) }
            s.finished = true
            if dropQueued {
                for _ in s.head..<s.items.count { counters.countDropped() }
                s.dropped += s.items.count - s.head
                s.items = []
                s.head = 0
                s.bytes = 0
            }
            if let w = s.waiter {
                s.waiter = nil
                return (true, w)
            }
            s.items.append(.close(code, reason))
            return (true, nil)
        }
        waiter?.resume(returning: .close(code, reason))
        return closed
    }

    /// Ends the queue without a close frame (the connection is already going).
    func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<Item?, Never>? in
            s.finished = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: nil)
    }

    var droppedCount: Int { state.withLock { $0.dropped } }

    /// The next item for the writer, waiting for one; nil once finished and empty.
    func next() async -> Item? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Item?, Never>) in
            let item: Item?? = state.withLock { s in
                if s.head < s.items.count {
                    let item = s.items[s.head]
                    s.head += 1
                    if case .text(let t) = item { s.bytes -= t.utf8.count }
                    if s.head == s.items.count { s.items.removeAll(keepingCapacity: true); s.head = 0 }
                    return .some(item)
                }
                if s.finished { return .some(nil) }
                s.waiter = continuation
                return nil
            }
            if let item { continuation.resume(returning: item) }
        }
    }
}
