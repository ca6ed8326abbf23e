import ICE
import NIOCore
import NetworkPrimitives
import Synchronization
import VirtualNetwork

/// A simulated IP network on one event loop, for ICE agents and whole peer connections: each
/// host gets an `ICEDatagramNetwork` with one address, every directed host pair an
/// `EmulatedLink` (rate with a drop-tail queue, delay, loss, reordering), and each datagram is
/// delivered by a task scheduled on the loop at the arrival time the link gives it. With a
/// `NIOAsyncTestingEventLoop`, `advanceTime` then runs a call in simulated time.
public final class SimulatedNetwork: Sendable {
    public let eventLoop: any EventLoop
    public let seed: UInt64

    private struct Key: Hashable {
        var from: IPAddress
        var to: IPAddress
    }

    private struct Link {
        var model: EmulatedLink
        /// The loop time the link was set up: a scenario's time zero.
        var start: Duration
        var series: LinkTimeSeries
    }

    private struct State {
        var receivers: [TransportAddress: @Sendable ([UInt8], TransportAddress, TransportAddress) -> Void] = [:]
        var links: [Key: Link] = [:]
        var nextPort: UInt16 = 50_000
        /// Datagrams to an address nobody is bound on.
        var undeliverable = 0
    }

    private let state = Mutex(State())

    public init(eventLoop: any EventLoop, seed: UInt64) {
        self.eventLoop = eventLoop
        self.seed = seed
    }

    /// The network as host `ip` sees it.
    public func host(_ ip: IPAddress) -> any ICEDatagramNetwork { SimulatedHost(network: self, ip: ip) }

    var now: Duration { .nanoseconds(Int64(eventLoop.now.uptimeNanoseconds)) }

    /// The direction `from` → `to` follows `scenario` (its time zero is now).
    public func setLink(from: IPAddress, to: IPAddress, scenario: LinkScenario, sampleInterval: Duration = .milliseconds(250)) {
        let key = Key(from: from, to: to)
        var mix = seed ^ 0x9E37_79B9_7F4A_7C15
        for byte in "\(from)>\(to)".utf8 { mix = mix &* 1_099_511_628_211 &+ UInt64(byte) }
        let link = Link(model: EmulatedLink(scenario: scenario, seed: mix), start: now, series: LinkTimeSeries(interval: sampleInterval))
        state.withLock { $0.links[key] = link }
    }

    /// The same fixed conditions in one direction.
    public func setLink(from: IPAddress, to: IPAddress, conditions: LinkConditions) {
        setLink(from: from, to: to, scenario: LinkScenario(steps: [.init(at: .zero, conditions: conditions)]))
    }

    /// What the link `from` → `to` did, in total and per sample interval.
    public func statistics(from: IPAddress, to: IPAddress) -> (total: LinkStatistics, intervals: [LinkTimeSeries.Interval])? {
        state.withLock { s in s.links[Key(from: from, to: to)].map { ($0.model.statistics, $0.series.snapshot()) } }
    }

    /// The capacity (bit/s) of the link `from` → `to` now; nil when it has no rate limit.
    public func capacity(from: IPAddress, to: IPAddress) -> Int? {
        let t = now
        return state.withLock { s in
            guard var link = s.links[Key(from: from, to: to)] else { return nil }
            link.model.advance(to: t - link.start)
            s.links[Key(from: from, to: to)] = link
            return link.model.conditions.bandwidth
        }
    }

    func bind(_ ip: IPAddress, receive: @escaping @Sendable ([UInt8], TransportAddress, TransportAddress) -> Void) -> TransportAddress {
        state.withLock { s in
            let address = TransportAddress(ip: ip, port: s.nextPort)
            s.nextPort &+= 1
            s.receivers[address] = receive
            return address
        }
    }

    func unbind(_ address: TransportAddress) {
        _ = state.withLock { $0.receivers.removeValue(forKey: address) }
    }

    /// On the loop: the link decides the datagram's fate; each arrival is a scheduled delivery.
    func send(_ payload: [UInt8], from source: TransportAddress, to destination: TransportAddress) {
        let t = now
        let arrivals: [Duration] = state.withLock { s in
            let key = Key(from: source.ip, to: destination.ip)
            guard var link = s.links[key] else { return [t] }  // no link set: ideal, instantaneous
            let local = t - link.start
            let capacity = link.model.conditions.bandwidth
            let outcome = link.model.transmit(size: payload.count, overhead: source.ip.isIPv6 ? EmulatedLink.udpOverIPv6Overhead : EmulatedLink.udpOverIPv4Overhead, at: local)
            link.series.recordTransmission(outcome, size: payload.count, at: local, capacity: capacity)
            for a in outcome.arrivals { link.series.recordDelivery(size: payload.count, at: a) }
            s.links[key] = link
            return outcome.arrivals.map { $0 + link.start }
        }
        for arrival in arrivals {
            let deadline = NIODeadline.uptimeNanoseconds(UInt64(max(0, arrival.nanosecondsRounded)))
            eventLoop.scheduleTask(deadline: deadline) { [self] in
                guard let receive = state.withLock({ s -> (@Sendable ([UInt8], TransportAddress, TransportAddress) -> Void)? in
                    if let r = s.receivers[destination] { return r }
                    s.undeliverable += 1
                    return nil
                }) else { return }
                receive(payload, source, destination)
            }
        }
    }
}

extension Duration {
    var nanosecondsRounded: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

/// One host's view: its single address, sockets bound on it.
struct SimulatedHost: ICEDatagramNetwork {
    let network: SimulatedNetwork
    let ip: IPAddress

    func hostAddresses(for configuration: ICEConfiguration) throws -> [IPAddress] { [ip] }

    func bind(ip: IPAddress, eventLoop: any EventLoop,
              receive: @escaping @Sendable ([UInt8], TransportAddress, TransportAddress) -> Void) async throws -> any ICEDatagramSocket {
        SimulatedSocket(network: network, localAddress: network.bind(ip, receive: receive))
    }
}

final class SimulatedSocket: ICEDatagramSocket {
    let network: SimulatedNetwork
    let localAddress: TransportAddress

    init(network: SimulatedNetwork, localAddress: TransportAddress) {
        self.network = network
        self.localAddress = localAddress
    }

    func send(_ payload: [UInt8], to destination: TransportAddress) {
        network.send(payload, from: localAddress, to: destination)
    }

    func close() async { network.unbind(localAddress) }
}
