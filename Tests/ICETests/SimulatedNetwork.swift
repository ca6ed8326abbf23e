@testable import ICE
import NetworkPrimitives

/// Two sans-I/O agents joined by an in-test datagram shuttle with a simulated clock: every
/// datagram arrives `delay` after it is sent unless `isDropped` says otherwise.
struct SimulatedPair {
    struct InFlight { var arrival: Duration; var order: Int; var transmit: ICETransmit }

    var a: ICEAgentCore
    var b: ICEAgentCore
    let aAddress = TransportAddress("10.0.0.1", port: 5000)!
    let bAddress = TransportAddress("10.0.0.2", port: 6000)!
    var now: Duration = .zero
    var delay: Duration = .milliseconds(5)
    var inFlight: [InFlight] = []
    var order = 0
    var eventsA: [(Duration, ICEEvent)] = []
    var eventsB: [(Duration, ICEEvent)] = []
    var trace: [String] = []
    var isDropped: (ICETransmit) -> Bool = { _ in false }
    /// A TURN server on the network (relaying for real), when a test puts one there.
    var turn: TURNTestServer?
    let turnAddress = TransportAddress("10.0.0.100", port: 3478)!

    init(a: ICEAgentCore, b: ICEAgentCore) {
        self.a = a
        self.b = b
    }

    /// Gathers host candidates, exchanges credentials and (unless `trickleLater`) candidates.
    mutating func start(exchangeCandidates: Bool = true, endOfCandidates: Bool = true) {
        let ca = a.addHostCandidate(base: aAddress, now: now)
        let cb = b.addHostCandidate(base: bAddress, now: now)
        a.finishHostGathering()
        b.finishHostGathering()
        a.setRemoteCredentials(b.localCredentials, now: now)
        b.setRemoteCredentials(a.localCredentials, now: now)
        if exchangeCandidates {
            a.addRemoteCandidate(cb, now: now)
            b.addRemoteCandidate(ca, now: now)
        }
        if endOfCandidates {
            a.endOfRemoteCandidates(now: now)
            b.endOfRemoteCandidates(now: now)
        }
        drain()
    }

    mutating func drain() {
        while let t = a.pollTransmit() { send(t) }
        while let t = b.pollTransmit() { send(t) }
        while let e = a.pollEvent() { eventsA.append((now, e)) }
        while let e = b.pollEvent() { eventsB.append((now, e)) }
    }

    mutating func send(_ t: ICETransmit) {
        trace.append("\(now) \(t.source)->\(t.destination) \(t.payload.count)")
        guard !isDropped(t) else { return }
        order += 1
        inFlight.append(InFlight(arrival: now + delay, order: order, transmit: t))
    }

    /// Advances the clock event by event until `until` or `stop` holds.
    mutating func run(until limit: Duration, stop: (SimulatedPair) -> Bool = { _ in false }) {
        while now <= limit, !stop(self) {
            let candidates = [a.nextDeadline, b.nextDeadline, inFlight.map(\.arrival).min()].compactMap { $0 }
            guard let next = candidates.min(), next <= limit else { now = limit; break }
            now = max(now, next)
            inFlight.sort { ($0.arrival, $0.order) < ($1.arrival, $1.order) }
            while let first = inFlight.first, first.arrival <= now {
                inFlight.removeFirst()
                let t = first.transmit
                if var server = turn, t.destination == turnAddress {
                    let (answer, relayed) = server.receive(relaying: t.payload, from: t.source, now: now)
                    turn = server
                    if let answer { send(ICETransmit(source: turnAddress, destination: t.source, payload: answer)) }
                    for r in relayed { send(r) }
                } else if let server = turn, t.destination == server.relayed {
                    if let client = server.clientAddress, let wrapped = server.relayIn(t.payload, from: t.source, now: now) {
                        send(ICETransmit(source: turnAddress, destination: client, payload: wrapped))
                    }
                } else if t.destination == aAddress {
                    a.handleDatagram(t.payload, from: t.source, to: aAddress, now: now)
                } else if t.destination == bAddress {
                    b.handleDatagram(t.payload, from: t.source, to: bAddress, now: now)
                }
                drain()
            }
            if let d = a.nextDeadline, d <= now { a.handleTimeout(now: now) }
            if let d = b.nextDeadline, d <= now { b.handleTimeout(now: now) }
            drain()
        }
    }

    var bothConnected: Bool { a.selectedPair != nil && b.selectedPair != nil }
}

extension ICEConfiguration {
    static var simulated: ICEConfiguration {
        var c = ICEConfiguration()
        c.nominationTimeout = .milliseconds(200)
        return c
    }
}
