import Synchronization

/// What the server refused or cut to stay bounded, counted: a peer that stops reading is
/// closed rather than queued for, and these say how often and how full its queue got. Read by
/// tests (`SignalServer.counters`); the log says the same per connection.
public final class SignalServerCounters: Sendable {
    private let overflows = Atomic<Int>(0)
    private let dropped = Atomic<Int>(0)
    private let peak = Atomic<Int>(0)
    private let candidatesNotRelayed = Atomic<Int>(0)

    public init() {}

    /// Connections closed because their send queue was full (close 1008, `send-queue-full`).
    public var sendQueueOverflows: Int { overflows.load(ordering: .relaxed) }
    /// Messages not queued: the queue was full, or the connection was already closing.
    public var droppedMessages: Int { dropped.load(ordering: .relaxed) }
    /// The most bytes one connection's send queue held at once (at most `maxQueuedBytes`).
    public var peakQueuedBytes: Int { peak.load(ordering: .relaxed) }

    /// A room peer's trickled candidates (and end-of-candidates) for a WHIP session, which
    /// RFC 9725 cannot carry to the WHIP client (its answer must hold them).
    public var candidatesNotRelayedToWHIP: Int { candidatesNotRelayed.load(ordering: .relaxed) }

    func countCandidateNotRelayedToWHIP() { candidatesNotRelayed.wrappingAdd(1, ordering: .relaxed) }
    func countOverflow() { overflows.wrappingAdd(1, ordering: .relaxed) }
    func countDropped() { dropped.wrappingAdd(1, ordering: .relaxed) }

    func noteQueued(_ bytes: Int) {
        var seen = peak.load(ordering: .relaxed)
        while bytes > seen {
            let (exchanged, current) = peak.compareExchange(expected: seen, desired: bytes, ordering: .relaxed)
            if exchanged { return }
            seen = current
        }
    }
}
