import NIOCore
import NIOPosix
import VirtualNetwork

/// A UDP relay on the real clock that passes every datagram through an `EmulatedLink`, one
/// per direction, so two peers talk over an emulated thin link without root or kernel
/// support (no netem): rate with a drop-tail queue, delay, jitter, loss, reordering.
///
/// Two shapes:
/// - `nat`: clients send to `listen`; each client source address gets an upstream socket of
///   its own towards `server` (like a NAT), so the server's answers find their way back.
///   Direction 0 is client → server ("upstream"), direction 1 server → client ("downstream").
/// - `pair`: two stand-in sockets, one per peer: what arrives at peer A's stand-in goes to A,
///   sent from B's stand-in (and the other way round), so each peer sees the other at its
///   stand-in address. Direction 0 is A → B, direction 1 B → A. For a call in one process
///   whose SDP candidates are rewritten to the stand-ins; each peer's address can be set when
///   it is known (its answer), datagrams for a peer not yet known are counted and dropped.
///
/// All sockets and the link state live on one event loop; nothing is locked. Pending
/// deliveries wait in one time-ordered queue served by one timer.
public final class UDPLinkRelay: Sendable {
    public enum Shape: Sendable {
        case nat(listen: SocketAddress, server: SocketAddress)
        /// Stand-ins on `host`; tell the relay where the peers are with `setPeerAddress`.
        case pair(host: String)
    }

    public let eventLoop: any EventLoop
    private let core: NIOLoopBoundBox<LinkRelayCore?>
    private let ownGroup: MultiThreadedEventLoopGroup?
    /// Where the relay listens (nat) or the stand-ins of peer A and peer B (pair).
    public let localAddresses: [SocketAddress]
    /// The relay's time zero (the scenario's start), on CLOCK_MONOTONIC like `NIODeadline`.
    public let startUptimeNanoseconds: UInt64

    /// Binds the relay's sockets and starts forwarding. Time zero of `scenario` is now.
    /// Without an event loop the relay runs on a thread of its own (its timers then do not
    /// wait behind the peers' work).
    public init(_ shape: Shape, scenario: LinkScenario, seed: UInt64 = 1, interval: Duration = .milliseconds(100),
                eventLoop: (any EventLoop)? = nil) async throws {
        let group: MultiThreadedEventLoopGroup? = eventLoop == nil ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        let loop = eventLoop ?? group!.next()
        self.eventLoop = loop
        self.ownGroup = group
        let box = NIOLoopBoundBox<LinkRelayCore?>.makeEmptyBox(eventLoop: loop)
        self.core = box
        let start = NIODeadline.now()
        self.startUptimeNanoseconds = start.uptimeNanoseconds
        let names = switch shape {
        case .nat: ["upstream", "downstream"]
        case .pair: ["a→b", "b→a"]
        }
        try await loop.submit {
            box.value = LinkRelayCore(box: box, start: start, names: names, scenario: scenario, seed: seed, interval: interval)
        }.get()
        do {
            switch shape {
            case .nat(let listen, let server):
                let channel = try await Self.bind(listen, socket: .listen, box: box, on: loop)
                try await loop.submit {
                    box.value?.nat = LinkRelayCore.NATRoutes(listen: channel, server: server)
                }.get()
                localAddresses = [channel.localAddress].compactMap { $0 }
            case .pair(let host):
                let any = try SocketAddress.makeAddressResolvingHost(host, port: 0)
                let standInA = try await Self.bind(any, socket: .standIn(0), box: box, on: loop)
                let standInB = try await Self.bind(any, socket: .standIn(1), box: box, on: loop)
                try await loop.submit {
                    box.value?.pair = LinkRelayCore.PairRoutes(standIns: [standInA, standInB], peers: [nil, nil])
                }.get()
                localAddresses = [standInA.localAddress, standInB.localAddress].compactMap { $0 }
            }
        } catch {
            try? await loop.flatSubmit { box.value?.shutdown() ?? loop.makeSucceededVoidFuture() }.get()
            try? await group?.shutdownGracefully()
            throw error
        }
    }

    static func bind(_ address: SocketAddress, socket: RelaySocket, box: NIOLoopBoundBox<LinkRelayCore?>,
                     on loop: any EventLoop) async throws -> any Channel {
        try await DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            // Room for a burst: the emulated queue, not the socket, is meant to drop.
            .channelOption(.socketOption(.so_rcvbuf), value: 1 << 21)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RelaySocketHandler(box: box, socket: socket))
                }
            }
            .bind(to: address)
            .get()
    }

    /// Where peer `index` (0 = A, 1 = B) of a `pair` relay receives.
    public func setPeerAddress(_ address: SocketAddress, of index: Int) async throws {
        try await eventLoop.submit { [core] in
            guard let c = core.value, c.pair != nil, (0...1).contains(index) else { throw ChannelError.ioOnClosedChannel }
            c.pair?.peers[index] = address
        }.get()
    }

    /// What each direction has done so far.
    public func report() async throws -> LinkRelayReport {
        try await eventLoop.submit { [core] in
            guard let c = core.value else { throw ChannelError.ioOnClosedChannel }
            return c.report()
        }.get()
    }

    /// The conditions in force in each direction now.
    public func currentConditions() async throws -> [LinkConditions] {
        try await eventLoop.submit { [core] in
            guard let c = core.value else { throw ChannelError.ioOnClosedChannel }
            return c.directions.map(\.link.conditions)
        }.get()
    }

    /// Stops forwarding (pending deliveries are dropped) and closes the sockets.
    public func close() async {
        let loop = eventLoop
        try? await loop.flatSubmit { [core] in core.value?.shutdown() ?? loop.makeSucceededVoidFuture() }.get()
        try? await ownGroup?.shutdownGracefully()
    }
}

/// Which of the relay's sockets a datagram came in on.
enum RelaySocket: Hashable, Sendable {
    case listen
    case upstream(client: SocketAddress)
    case standIn(Int)
}

final class RelaySocketHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let box: NIOLoopBoundBox<LinkRelayCore?>
    let socket: RelaySocket

    init(box: NIOLoopBoundBox<LinkRelayCore?>, socket: RelaySocket) {
        self.box = box
        self.socket = socket
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        box.value?.receive(unwrapInboundIn(data), on: socket)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable and the like arrive here: counted, the socket stays open.
        box.value?.socketErrors += 1
    }
}
