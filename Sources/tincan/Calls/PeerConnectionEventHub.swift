import PeerConnection
import Synchronization

/// `pc.events` read once and handed to every part of a call that wants it: an AsyncStream
/// gives each element to one of its iterators, so the track watcher, the hang-up watch and
/// the candidate forwarder reading it side by side would take each other's events (a local
/// candidate lost to the track watcher is a candidate never trickled).
///
/// A subscriber gets every event from the start, then the live ones, in order: the events
/// are few (tracks, candidates, state changes), and the candidates gathered before the
/// forwarder was hooked must not be missed.
final class PeerConnectionEventHub: Sendable {
    typealias Event = RTCPeerConnectionEvent
    /// Events kept for late subscribers; past it they are counted, not kept.
    static let maxHistory = 1024

    private struct Subscriber {
        var sink: AsyncStream<Event>.Continuation
        /// False while its history is being handed over: live events wait in `pending`.
        var live = false
        var pending: [Event] = []
    }
    private struct State {
        var history: [Event] = []
        var forgotten = 0
        var subscribers: [Int: Subscriber] = [:]
        var nextID = 0
        var finished = false
    }
    private let state = Mutex(State())

    private init() {}

    /// Starts reading `pc.events`; nothing else may read them.
    static func start(_ pc: RTCPeerConnection) -> PeerConnectionEventHub {
        let hub = PeerConnectionEventHub()
        Task { [events = pc.events] in
            for await event in events { hub.publish(event) }
            hub.finish()
        }
        return hub
    }

    /// Events the history could not keep (a late subscriber missed them).
    var forgotten: Int { state.withLock { $0.forgotten } }

    /// Every event so far, then each new one; finishes when the connection closes.
    /// (`withHistory: false`: only the events from now on, for a subscriber that acts on
    /// them, such as the renegotiation, to which an old `negotiationNeeded` means nothing.)
    func subscribe(withHistory: Bool = true) -> AsyncStream<Event> {
        let (stream, sink) = AsyncStream<Event>.makeStream()
        let (id, history) = state.withLock { s -> (Int, [Event]) in
            s.nextID += 1
            s.subscribers[s.nextID] = Subscriber(sink: sink)
            return (s.nextID, withHistory ? s.history : [])
        }
        sink.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        for event in history { sink.yield(event) }
        // What came while the history was handed over, then live (the gate of RoomPeer.welcome
        // in tincan-signal). A connection that closed meanwhile ends the stream here.
        var ended = false
        while let batch = state.withLock({ s -> [Event]? in
            guard var sub = s.subscribers[id] else { return nil }
            if sub.pending.isEmpty {
                if s.finished {
                    s.subscribers[id] = nil
                    ended = true
                } else {
                    sub.live = true
                    s.subscribers[id] = sub
                }
                return nil
            }
            defer { sub.pending.removeAll(); s.subscribers[id] = sub }
            return sub.pending
        }) {
            for event in batch { sink.yield(event) }
        }
        if ended { sink.finish() }
        return stream
    }

    private func publish(_ event: Event) {
        let (sinks, firstForgotten) = state.withLock { s -> ([AsyncStream<Event>.Continuation], Bool) in
            if s.history.count < Self.maxHistory { s.history.append(event) } else { s.forgotten += 1 }
            var live: [AsyncStream<Event>.Continuation] = []
            for (id, var sub) in s.subscribers {
                if sub.live { live.append(sub.sink) } else { sub.pending.append(event); s.subscribers[id] = sub }
            }
            return (live, s.forgotten == 1)
        }
        if firstForgotten {
            CLILog.call.notice("more than \(Self.maxHistory) connection events: a later subscriber misses the newest ones")
        }
        for sink in sinks { sink.yield(event) }
    }

    /// The connection closed: live subscribers end now; one still taking its history ends
    /// itself once it has it all (`subscribe`).
    private func finish() {
        let sinks = state.withLock { s -> [AsyncStream<Event>.Continuation] in
            s.finished = true
            let live = s.subscribers.filter { $0.value.live }
            for id in live.keys { s.subscribers[id] = nil }
            return live.values.map(\.sink)
        }
        for sink in sinks { sink.finish() }
    }
}
