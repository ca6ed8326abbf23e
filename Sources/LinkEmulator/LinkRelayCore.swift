import NIOCore
import NIOPosix
import VirtualNetwork

/// The relay's state, confined to its event loop: the links, the pending deliveries and the
/// routes between sockets.
final class LinkRelayCore {
    /// The `nat` shape's sockets: the one clients send to, one per client towards the server.
    struct NATRoutes {
        var listen: any Channel
        var server: SocketAddress
        var upstreams: [SocketAddress: Upstream] = [:]
    }

    /// The `pair` shape's sockets: peer i's stand-in, and peer i's own address once known.
    struct PairRoutes {
        var standIns: [any Channel]
        var peers: [SocketAddress?]
    }

    /// A NAT client's socket towards the server; datagrams due before it is bound wait.
    struct Upstream {
        var channel: (any Channel)?
        var waiting: [ByteBuffer] = []
    }

    struct Direction {
        let name: String
        var link: EmulatedLink
        var series: LinkTimeSeries
        var deliveredPackets = 0
        var deliveredBytes = 0
    }

    enum Route {
        case channel(any Channel)
        case upstream(client: SocketAddress)
    }

    struct Delivery {
        var data: ByteBuffer
        var route: Route
        var destination: SocketAddress
        var direction: Int
    }

    /// Clients beyond this many are refused (each costs a socket).
    static let maximumClients = 256

    let box: NIOLoopBoundBox<LinkRelayCore?>
    let start: NIODeadline
    var nat: NATRoutes?
    var pair: PairRoutes?
    var directions: [Direction]
    var deliveries = EventQueue<Delivery>()
    var armed: (at: Duration, task: Scheduled<Void>)?
    var socketErrors = 0
    var refusedClients = 0
    /// Pair shape: datagrams for a peer whose address is not known yet.
    var unroutable = 0
    var closed = false

    init(box: NIOLoopBoundBox<LinkRelayCore?>, start: NIODeadline, names: [String], scenario: LinkScenario, seed: UInt64, interval: Duration) {
        self.box = box
        self.start = start
        directions = names.enumerated().map { i, name in
            Direction(name: name, link: EmulatedLink(scenario: scenario, seed: seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15),
                      series: LinkTimeSeries(interval: interval))
        }
    }

    var now: Duration { .nanoseconds(Int64(NIODeadline.now().uptimeNanoseconds) - Int64(start.uptimeNanoseconds)) }

    // MARK: Receiving

    func receive(_ envelope: AddressedEnvelope<ByteBuffer>, on socket: RelaySocket) {
        guard !closed else { return }
        let direction: Int, route: Route, destination: SocketAddress
        switch socket {
        case .listen:
            guard let nat else { return }
            let client = envelope.remoteAddress
            if nat.upstreams[client] == nil {
                guard nat.upstreams.count < Self.maximumClients else { refusedClients += 1; return }
                openUpstream(for: client)
            }
            direction = 0; route = .upstream(client: client); destination = nat.server
        case .upstream(let client):
            guard let nat else { return }
            direction = 1; route = .channel(nat.listen); destination = client
        case .standIn(let peer):
            guard let pair else { return }
            guard let address = pair.peers[peer] else { unroutable += 1; return }
            // Arrived at `peer`'s stand-in: from the other peer, for `peer`, sent from the
            // other peer's stand-in so that `peer` sees it there.
            direction = peer == 1 ? 0 : 1; route = .channel(pair.standIns[1 - peer]); destination = address
        }
        let size = envelope.data.readableBytes
        let at = now
        let overhead = destination.protocol == .inet6 ? EmulatedLink.udpOverIPv6Overhead : EmulatedLink.udpOverIPv4Overhead
        let outcome = directions[direction].link.transmit(size: size, overhead: overhead, at: at)
        directions[direction].series.recordTransmission(outcome, size: size, at: at, capacity: directions[direction].link.conditions.bandwidth)
        guard let arrival = outcome.arrival else { return }
        let delivery = Delivery(data: envelope.data, route: route, destination: destination, direction: direction)
        deliveries.insert(delivery, at: arrival)
        if let second = outcome.duplicateArrival { deliveries.insert(delivery, at: second) }
        arm()
    }

    private func openUpstream(for client: SocketAddress) {
        guard let listen = nat?.listen else { return }
        nat?.upstreams[client] = Upstream()
        // The upstream socket takes the listening socket's address family and host.
        var bindAddress = listen.localAddress
        bindAddress?.port = 0
        guard let bindAddress else { socketErrors += 1; return }
        let box = self.box
        DatagramBootstrap(group: listen.eventLoop)
            .channelOption(.socketOption(.so_rcvbuf), value: 1 << 21)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RelaySocketHandler(box: box, socket: .upstream(client: client)))
                }
            }
            .bind(to: bindAddress)
            .whenComplete { result in
                box.value?.upstreamBound(client, result)
            }
    }

    private func upstreamBound(_ client: SocketAddress, _ result: Result<any Channel, any Error>) {
        switch result {
        case .success(let channel):
            guard !closed, let server = nat?.server else { channel.close(promise: nil); return }
            let waiting = nat?.upstreams[client]?.waiting ?? []
            nat?.upstreams[client] = Upstream(channel: channel)
            for data in waiting { channel.write(AddressedEnvelope(remoteAddress: server, data: data), promise: nil) }
            channel.flush()
        case .failure:
            socketErrors += 1
            nat?.upstreams[client] = nil
        }
    }

    // MARK: Delivering

    /// Keeps one timer armed for the earliest pending delivery.
    private func arm() {
        guard let next = deliveries.nextTime else { return }
        if let armed, armed.at <= next { return }
        armed?.task.cancel()
        let box = self.box
        let task = box.eventLoop.scheduleTask(deadline: start + TimeAmount(next)) { () -> Void in
            box.value?.deliverDue()
        }
        armed = (next, task)
    }

    private func deliverDue() {
        armed = nil
        guard !closed else { return }
        // What falls due within the timer's slack goes out in the same wakeup.
        let horizon = now + .microseconds(100)
        var flush: [ObjectIdentifier: any Channel] = [:]
        while let t = deliveries.nextTime, t <= horizon, let (_, d) = deliveries.popFirst() {
            let channel: (any Channel)?
            switch d.route {
            case .channel(let c): channel = c
            case .upstream(let client):
                channel = nat?.upstreams[client]?.channel
                if channel == nil { nat?.upstreams[client]?.waiting.append(d.data) }
            }
            directions[d.direction].deliveredPackets += 1
            directions[d.direction].deliveredBytes += d.data.readableBytes
            directions[d.direction].series.recordDelivery(size: d.data.readableBytes, at: t)
            guard let channel else { continue }
            channel.write(AddressedEnvelope(remoteAddress: d.destination, data: d.data), promise: nil)
            flush[ObjectIdentifier(channel)] = channel
        }
        for channel in flush.values { channel.flush() }
        arm()
    }

    // MARK: Figures and shutdown

    func report() -> LinkRelayReport {
        let elapsed = now
        var r = LinkRelayReport(durationSeconds: LinkRelayReport.round(elapsed.seconds, 3),
                                intervalSeconds: (directions.first?.series.interval ?? .zero).seconds,
                                socketErrors: socketErrors, refusedClients: refusedClients, unroutable: unroutable,
                                directions: [])
        for d in directions {
            r.directions.append(LinkRelayReport.Direction(d, elapsed: elapsed))
        }
        return r
    }

    func shutdown() -> EventLoopFuture<Void> {
        closed = true
        armed?.task.cancel()
        armed = nil
        deliveries = EventQueue()
        var channels: [any Channel] = pair?.standIns ?? []
        if let nat { channels += [nat.listen] + nat.upstreams.values.compactMap(\.channel) }
        nat = nil
        pair = nil
        let futures = channels.map { $0.close() }
        return EventLoopFuture.andAllComplete(futures, on: box.eventLoop)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
