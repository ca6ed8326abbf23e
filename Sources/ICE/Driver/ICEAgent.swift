import NIOCore
import NIOPosix
import NetworkPrimitives

/// A datagram for the layers above ICE (DTLS, SRTP), demultiplexed by RFC 7983.
public struct ReceivedDatagram: Sendable {
    public var payload: [UInt8]
    public var kind: DatagramKind
    public var source: TransportAddress
    /// The local socket (host candidate) it arrived on.
    public var base: TransportAddress
}

/// What gathering found: the candidates to signal, and each STUN server's answer (including
/// redundant server-reflexive addresses, which are not signaled).
public struct GatherReport: Sendable {
    public var candidates: [ICECandidate]
    public var serverReflexive: [ServerReflexiveResult]
    /// Each TURN server's answer: a relayed candidate or the error (RFC 8656 §7.3).
    public var relayed: [RelayResult] = []
}

/// The ICE agent on real UDP sockets: `ICEAgentCore` run on one SwiftNIO event loop, one
/// `DatagramBootstrap` socket per host candidate, with an async/await API.
///
/// Typical use: `gather()`, signal `localCredentials` and `localCandidates` to the peer,
/// `setRemoteCredentials` and `addRemoteCandidate` with the peer's, `connect()`, then
/// `send` and `datagrams`. Call `close()` at the end: it closes the sockets.
public final class ICEAgent: Sendable {
    public let eventLoop: any EventLoop
    /// Where the host sockets come from (real UDP unless a test injects another network).
    public let network: any ICEDatagramNetwork
    /// Everything the core reports except application data.
    public let events: AsyncStream<ICEEvent>
    /// Non-STUN datagrams from the peer.
    public let datagrams: AsyncStream<ReceivedDatagram>
    let driver: NIOLoopBoundBox<ICEAgentDriver>
    /// Time zero of the agent's clock.
    let origin: NIODeadline
    private let published: ICEPublishedCounters
    let route = ICEPublishedRoute()

    /// Datagrams the agent refused so far (malformed or unauthenticated STUN, data from
    /// unknown addresses). Any thread.
    public var counters: ICEAgentCounters { published.load() }

    public init(role: ICERole, configuration: ICEConfiguration = ICEConfiguration(),
                credentials: ICECredentials = .generate(),
                eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next(),
                network: any ICEDatagramNetwork = UDPDatagramNetwork()) {
        self.eventLoop = eventLoop
        self.network = network
        let origin = eventLoop.now
        self.origin = origin
        let (events, eventsContinuation) = AsyncStream.makeStream(of: ICEEvent.self)
        let (datagrams, datagramsContinuation) = AsyncStream.makeStream(
            of: ReceivedDatagram.self, bufferingPolicy: .bufferingNewest(4096))
        self.events = events
        self.datagrams = datagrams
        let core = ICEAgentCore(role: role, configuration: configuration, localCredentials: credentials)
        let published = ICEPublishedCounters()
        self.published = published
        driver = .makeBoxSendingValue(
            ICEAgentDriver(core: core, eventLoop: eventLoop, origin: origin, events: eventsContinuation, datagrams: datagramsContinuation,
                           published: published, route: route),
            eventLoop: eventLoop)
        // The timer closure needs the box; the reference cycle is broken by close().
        let box = driver
        eventLoop.execute { box.value.box = box }
    }

    // MARK: - Gathering

    /// Binds one UDP socket per local address allowed by the configuration, gathers host and
    /// server-reflexive candidates, and returns when gathering is complete.
    public func gather() async throws -> GatherReport {
        try await startGathering().get()
    }

    /// Binds the sockets and starts gathering (RFC 8838 §4: trickled): the host candidates
    /// are gathered, and announced as `.candidateGathered`, before this returns; the future
    /// completes, on the event loop, when the STUN and TURN servers have answered or timed out.
    public func startGathering() async throws -> EventLoopFuture<GatherReport> {
        let (configuration, gathered) = try await eventLoop.submit { [driver] in
            (driver.value.core.configuration, !driver.value.sockets.isEmpty)
        }.get()
        if gathered {
            // Sockets are bound once per agent; an ICE restart reuses them.
            let report = try await eventLoop.submit { [driver] in
                GatherReport(candidates: driver.value.core.signaledCandidates, serverReflexive: driver.value.serverReflexive,
                             relayed: driver.value.relayed)
            }.get()
            return eventLoop.makeSucceededFuture(report)
        }
        let addresses = try network.hostAddresses(for: configuration)
        guard !addresses.isEmpty else { throw ICEError.failed("no usable local address to gather on") }
        var sockets: [any ICEDatagramSocket] = []
        for ip in addresses {
            let box = driver
            sockets.append(try await network.bind(ip: ip, eventLoop: eventLoop) { payload, source, base in
                box.value.receive(payload, from: source, on: base)
            })
        }
        let bound = sockets
        return try await eventLoop.submit { [driver] in
            driver.value.startGathering(sockets: bound)
        }.get()
    }

    public var localCredentials: ICECredentials {
        get async throws { try await eventLoop.submit { [driver] in driver.value.core.localCredentials }.get() }
    }

    public var localCandidates: [ICECandidate] {
        get async throws { try await eventLoop.submit { [driver] in driver.value.core.signaledCandidates }.get() }
    }

    public var role: ICERole {
        get async throws { try await eventLoop.submit { [driver] in driver.value.core.role }.get() }
    }

    public var state: ICEConnectionState {
        get async throws { try await eventLoop.submit { [driver] in driver.value.core.state }.get() }
    }

    public var selectedPair: ICECandidatePair? {
        get async throws { try await eventLoop.submit { [driver] in driver.value.core.selectedPair }.get() }
    }

    // MARK: - Remote side

    public func setRemoteCredentials(_ credentials: ICECredentials) async throws {
        try await run { d, now in d.core.setRemoteCredentials(credentials, now: now) }
    }

    /// Adds a remote candidate (from the SDP or trickled, RFC 8838).
    public func addRemoteCandidate(_ candidate: ICECandidate) async throws {
        try await run { d, now in d.core.addRemoteCandidate(candidate, now: now) }
    }

    /// Parses and adds an `a=candidate` line.
    public func addRemoteCandidate(sdp line: String) async throws {
        try await addRemoteCandidate(try ICECandidate(sdp: line))
    }

    /// The peer signaled end-of-candidates (RFC 8838 §8.2).
    public func endOfRemoteCandidates() async throws {
        try await run { d, now in d.core.endOfRemoteCandidates(now: now) }
    }

    // MARK: - Connection

    /// Waits until a pair is selected (nominated) and returns it; throws if ICE fails.
    public func connect() async throws -> ICECandidatePair {
        try await eventLoop.flatSubmit { [driver] in driver.value.waitForSelection() }.get()
    }

    /// Sends application data (DTLS, SRTP) on the selected pair.
    public func send(_ payload: [UInt8]) async throws {
        try await eventLoop.submit { [driver] in try driver.value.send(payload) }.get()
    }

    // MARK: - On the event loop

    /// Delivers application data and events synchronously on the event loop (instead of
    /// `datagrams` and `events`), for a caller that runs on the same loop. Call on the loop.
    public func setHandlers(datagram: @escaping (ReceivedDatagram) -> Void, event: @escaping (ICEEvent) -> Void) {
        let d = driver.value
        d.onDatagram = datagram
        d.onEvent = event
    }

    /// Sends application data on the selected pair. Call on the loop.
    public func sendOnEventLoop(_ payload: [UInt8]) throws {
        try driver.value.send(payload)
    }

    /// Sends application data from bytes the caller owns (SRTP protected in place), from any
    /// thread: on the loop through the driver; elsewhere straight to the socket of the
    /// published direct route (`ICESendRoute`), copied into its buffer before this returns;
    /// with no route (a relay, a simulated network, no pair yet) as a copy that hops to the
    /// loop, where a failure is counted. On a direct pair no array is made either way.
    public func send(bytes: UnsafeRawBufferPointer) throws {
        if eventLoop.inEventLoop { return try driver.value.send(bytes: bytes) }
        if let route = route.load() {
            route.socket.send(bytes: bytes, to: route.destination, failed: route.failed)
            return
        }
        let payload = Array(bytes)
        eventLoop.execute { [driver] in driver.value.sendHopped(payload) }
    }

    /// The nominated pair, if any. Call on the loop.
    public var selectedPairOnEventLoop: ICECandidatePair? { driver.value.core.selectedPair }

    /// The agent's clock (the event loop's, from the agent's creation): what `ICEAgentCore`
    /// and everything on this loop measure time with.
    public var now: Duration {
        .nanoseconds((eventLoop.now - origin).nanoseconds)
    }

    /// ICE restart (RFC 8445 §9): new local credentials (the ones given, e.g. those an offer
    /// already carries), which the caller signals to the peer.
    @discardableResult
    public func restart(localCredentials: ICECredentials = .generate()) async throws -> ICECredentials {
        try await eventLoop.submit { [driver] in
            let d = driver.value
            d.core.restart(localCredentials: localCredentials, now: d.now)
            d.pump()
            return d.core.localCredentials
        }.get()
    }

    public func close() async throws {
        let sockets = try await eventLoop.submit { [driver] in driver.value.shutdown() }.get()
        for socket in sockets { await socket.close() }
    }

    private func run(_ body: @escaping @Sendable (ICEAgentDriver, Duration) -> Void) async throws {
        try await eventLoop.submit { [driver] in
            let d = driver.value
            body(d, d.now)
            d.pump()
        }.get()
    }
}
