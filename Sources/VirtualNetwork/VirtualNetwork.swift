import NetworkPrimitives

/// A datagram as the virtual network delivers it.
public struct Datagram: Sendable, Equatable {
    public var payload: [UInt8]
    public var source: TransportAddress
    public var destination: TransportAddress
    /// Simulated time at which it was sent and at which it arrives.
    public var sentAt: Duration
    public var deliveredAt: Duration
}

/// Identifies a scheduled timer so that it can be cancelled.
public struct TimerID: Hashable, Sendable {
    public let rawValue: UInt64
}

/// What happens next on the simulated clock.
public enum NetworkEvent: Sendable, Equatable {
    /// A datagram arrives at `datagram.destination`.
    case delivery(Datagram)
    /// A timer fires; `owner` is the endpoint that scheduled it (if any), `tag` its own label.
    case timer(id: TimerID, owner: TransportAddress?, tag: Int, at: Duration)
}

/// An in-process network with a simulated clock, for deterministic tests of protocols that
/// exchange datagrams (ICE, DTLS, RTP/RTCP).
///
/// Sans-I/O: endpoints call `send` and `scheduleTimer`; the test drives time with
/// `nextEvent(until:)` (pull) or `run(until:)` (dispatch to handlers bound with `bind`). The
/// clock jumps from event to event, so 30 simulated seconds take milliseconds. Everything
/// random comes from a per-link PRNG derived from the seed: the same seed and the same
/// sends give the same losses and delays.
///
/// Not `Sendable`: one simulation lives in one task; handlers run synchronously inside `run`.
public final class VirtualNetwork {
    private enum Scheduled {
        case delivery(Datagram)
        case timer(TimerID, owner: TransportAddress?, tag: Int)
    }

    private struct LinkKey: Hashable {
        var from: IPAddress
        var to: IPAddress
    }

    public private(set) var now: Duration = .zero
    public let seed: UInt64
    public var defaultConditions: LinkConditions

    private var events = EventQueue<Scheduled>()
    private var links: [LinkKey: EmulatedLink] = [:]
    private var cancelled: Set<TimerID> = []
    private var nextTimerID: UInt64 = 1
    private var handlers: [TransportAddress: (NetworkEvent) -> Void] = [:]
    /// Datagrams that `run` could not hand to any bound endpoint.
    public private(set) var undeliverable = 0

    public init(seed: UInt64, defaultConditions: LinkConditions = .ideal) {
        self.seed = seed
        self.defaultConditions = defaultConditions
    }

    // MARK: Links

    /// Sets the conditions of the direction `from` → `to` (by IP address: every port pair
    /// between the two hosts shares the link and its queue).
    public func setConditions(_ conditions: LinkConditions, from: IPAddress, to: IPAddress) {
        let key = LinkKey(from: from, to: to)
        if links[key] != nil {
            links[key]?.conditions = conditions
        } else {
            links[key] = makeLink(key, conditions)
        }
    }

    /// Sets the same conditions in both directions between two hosts.
    public func setConditions(_ conditions: LinkConditions, between a: IPAddress, and b: IPAddress) {
        setConditions(conditions, from: a, to: b)
        setConditions(conditions, from: b, to: a)
    }

    /// Makes the conditions of `from` → `to` follow a scenario, from simulated time zero
    /// (a fresh link: its queue, counters and PRNG start over).
    public func setScenario(_ scenario: LinkScenario, from: IPAddress, to: IPAddress) {
        let key = LinkKey(from: from, to: to)
        links[key] = EmulatedLink(scenario: scenario, seed: linkSeed(key))
    }

    /// What the link `from` → `to` has done so far.
    public func statistics(from: IPAddress, to: IPAddress) -> LinkStatistics {
        links[LinkKey(from: from, to: to)]?.statistics ?? LinkStatistics()
    }

    private func makeLink(_ key: LinkKey, _ conditions: LinkConditions) -> EmulatedLink {
        EmulatedLink(conditions: conditions, seed: linkSeed(key))
    }

    private func linkSeed(_ key: LinkKey) -> UInt64 {
        // A deterministic per-link seed (Swift's Hasher is randomly seeded per process).
        var mix = seed ^ 0x5851_F42D_4C95_7F2D
        for ip in [key.from, key.to] {
            switch ip {
            case .v4(let v): mix = mix &* 6_364_136_223_846_793_005 &+ UInt64(v) &+ 1
            case .v6(let h, let l):
                mix = mix &* 6_364_136_223_846_793_005 &+ h
                mix = mix &* 6_364_136_223_846_793_005 &+ l
            }
        }
        return mix
    }

    // MARK: Sending

    /// Sends a datagram. Its link (an `EmulatedLink`) decides loss, queueing and delay now;
    /// delivery is scheduled.
    public func send(_ payload: [UInt8], from source: TransportAddress, to destination: TransportAddress) {
        let key = LinkKey(from: source.ip, to: destination.ip)
        let overhead = destination.ip.isIPv6 ? EmulatedLink.udpOverIPv6Overhead : EmulatedLink.udpOverIPv4Overhead
        // Mutated in place (the subscript's modify accessor): no copy of the link's queue.
        let outcome = links[key, default: makeLink(key, defaultConditions)]
            .transmit(size: payload.count, overhead: overhead, at: now)
        guard let arrival = outcome.arrival else { return }
        let datagram = Datagram(
            payload: payload, source: source, destination: destination,
            sentAt: now, deliveredAt: arrival)
        events.insert(.delivery(datagram), at: arrival)
        if let second = outcome.duplicateArrival {
            var copy = datagram
            copy.deliveredAt = second
            events.insert(.delivery(copy), at: second)
        }
    }

    /// Sends the bytes of a buffer (copied: the datagram outlives the caller's buffer).
    public func send(_ bytes: UnsafeRawBufferPointer, from source: TransportAddress, to destination: TransportAddress) {
        send(Array(bytes), from: source, to: destination)
    }

    // MARK: Timers

    /// Schedules a timer at an absolute simulated time (not earlier than now).
    @discardableResult
    public func scheduleTimer(at time: Duration, owner: TransportAddress? = nil, tag: Int = 0) -> TimerID {
        let id = TimerID(rawValue: nextTimerID)
        nextTimerID += 1
        events.insert(.timer(id, owner: owner, tag: tag), at: max(time, now))
        return id
    }

    @discardableResult
    public func scheduleTimer(after delay: Duration, owner: TransportAddress? = nil, tag: Int = 0) -> TimerID {
        scheduleTimer(at: now + delay, owner: owner, tag: tag)
    }

    public func cancelTimer(_ id: TimerID) {
        cancelled.insert(id)
    }

    // MARK: Driving the clock

    /// Advances the clock to the next event and returns it, or returns nil (clock set to
    /// `deadline`) when nothing is scheduled at or before `deadline`.
    public func nextEvent(until deadline: Duration? = nil) -> NetworkEvent? {
        while let time = events.nextTime {
            if let deadline, time > deadline { break }
            guard let (t, scheduled) = events.popFirst() else { break }
            now = max(now, t)
            switch scheduled {
            case .delivery(let datagram):
                return .delivery(datagram)
            case .timer(let id, let owner, let tag):
                if cancelled.remove(id) != nil { continue }
                return .timer(id: id, owner: owner, tag: tag, at: t)
            }
        }
        if let deadline { now = max(now, deadline) }
        return nil
    }

    /// Binds a handler to an address: `run` hands it the datagrams sent to that address and
    /// the timers that address scheduled.
    public func bind(_ address: TransportAddress, handler: @escaping (NetworkEvent) -> Void) {
        handlers[address] = handler
    }

    public func unbind(_ address: TransportAddress) {
        handlers[address] = nil
    }

    /// Runs events up to `deadline`, dispatching them to bound handlers.
    public func run(until deadline: Duration) {
        while let event = nextEvent(until: deadline) {
            switch event {
            case .delivery(let datagram):
                if let handler = handlers[datagram.destination] {
                    handler(event)
                } else {
                    undeliverable += 1
                }
            case .timer(_, let owner, _, _):
                if let owner, let handler = handlers[owner] { handler(event) }
            }
        }
    }
}
