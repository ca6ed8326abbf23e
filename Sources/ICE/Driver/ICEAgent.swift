import NIOCore
import NIOPosix

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
}

/// The ICE agent on real UDP sockets: `ICEAgentCore` run on one SwiftNIO event loop, one
/// `DatagramBootstrap` socket per host candidate, with an async/await API.
///
/// Typical use: `gather()`, signal `localCredentials` and `localCandidates` to the peer,
/// `setRemoteCredentials` and `addRemoteCandidate` with the peer's, `connect()`, then
/// `send` and `datagrams`. Call `close()` at the end: it closes the sockets.
public final class ICEAgent: Sendable {
    public let eventLoop: any EventLoop
    /// Everything the core reports except application data.
    public let events: AsyncStream<ICEEvent>
    /// Non-STUN datagrams from the peer.
    public let datagrams: AsyncStream<ReceivedDatagram>
    let driver: NIOLoopBoundBox<ICEAgentDriver>

    public init(role: ICERole, configuration: ICEConfiguration = ICEConfiguration(),
                credentials: ICECredentials = .generate(),
                eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()) {
        self.eventLoop = eventLoop
        let (events, eventsContinuation) = AsyncStream.makeStream(of: ICEEvent.self)
        let (datagrams, datagramsContinuation) = AsyncStream.makeStream(
            of: ReceivedDatagram.self, bufferingPolicy: .bufferingNewest(4096))
        self.events = events
        self.datagrams = datagrams
        let core = ICEAgentCore(role: role, configuration: configuration, localCredentials: credentials)
        driver = .makeBoxSendingValue(
            ICEAgentDriver(core: core, eventLoop: eventLoop, events: eventsContinuation, datagrams: datagramsContinuation),
            eventLoop: eventLoop)
        // The timer closure needs the box; the reference cycle is broken by close().
        let box = driver
        eventLoop.execute { box.value.box = box }
    }

    // MARK: - Gathering

    /// Binds one UDP socket per local address allowed by the configuration, gathers host and
    /// server-reflexive candidates, and returns when gathering is complete.
    public func gather() async throws -> GatherReport {
        let (configuration, gathered) = try await eventLoop.submit { [driver] in
            (driver.value.core.configuration, !driver.value.channels.isEmpty)
        }.get()
        if gathered {
            // Sockets are bound once per agent; an ICE restart reuses them.
            return try await eventLoop.submit { [driver] in
                GatherReport(candidates: driver.value.core.localCandidates, serverReflexive: driver.value.serverReflexive)
            }.get()
        }
        let addresses = try HostInterfaces.addresses(for: configuration)
        guard !addresses.isEmpty else { throw ICEError.failed("no usable local address to gather on") }
        var channels: [Channel] = []
        for ip in addresses {
            let box = driver
            let channel = try await DatagramBootstrap(group: eventLoop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ICEChannelHandler(driver: box))
                    }
                }
                .bind(to: TransportAddress(ip: ip, port: 0).socketAddress)
                .get()
            channels.append(channel)
        }
        let bound = channels
        return try await eventLoop.flatSubmit { [driver] in
            driver.value.startGathering(channels: bound)
        }.get()
    }

    public var localCredentials: ICECredentials {
        get async throws { try await eventLoop.submit { [driver] in driver.value.core.localCredentials }.get() }
    }

    public var localCandidates: [ICECandidate] {
        get async throws { try await eventLoop.submit { [driver] in driver.value.core.localCandidates }.get() }
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

    /// ICE restart (RFC 8445 §9): new local credentials, which the caller signals to the peer.
    public func restart() async throws -> ICECredentials {
        try await eventLoop.submit { [driver] in
            let d = driver.value
            d.core.restart(now: d.now)
            d.pump()
            return d.core.localCredentials
        }.get()
    }

    public func close() async throws {
        let channels = try await eventLoop.submit { [driver] in driver.value.shutdown() }.get()
        for channel in channels { try? await channel.close() }
    }

    private func run(_ body: @escaping @Sendable (ICEAgentDriver, Duration) -> Void) async throws {
        try await eventLoop.submit { [driver] in
            let d = driver.value
            body(d, d.now)
            d.pump()
        }.get()
    }
}
