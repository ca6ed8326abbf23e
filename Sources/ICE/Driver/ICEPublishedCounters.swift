import Synchronization

/// The core's `ICEAgentCounters`, copied out by the driver after each datagram that moved
/// one, so that getStats can read them off the event loop without a hop.
final class ICEPublishedCounters: Sendable {
    private let value = Mutex(ICEAgentCounters())

    func store(_ counters: ICEAgentCounters) { value.withLock { $0 = counters } }
    func load() -> ICEAgentCounters { value.withLock { $0 } }
}
