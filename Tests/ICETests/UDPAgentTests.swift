import NetworkPrimitives
import Testing
import NIOCore
import NIOPosix
@testable import ICE

/// Two `ICEAgent`s over real UDP sockets on 127.0.0.1.
@Suite struct UDPAgentTests {
    static func loopbackConfiguration() -> ICEConfiguration {
        var c = ICEConfiguration.fastForTesting
        c.restrictToAddresses = [IPAddress("127.0.0.1")!]
        // Real sockets share 2 cores with the rest of the suite (codec and DTLS tests run in
        // parallel): give checks the RFC's 7 transmissions and checking more time than the
        // simulated tests need, so load delays a connection instead of failing it.
        c.maximumRetransmissionTimeout = .milliseconds(500)
        c.maximumTransmissions = 7
        c.checkingTimeout = .seconds(8)
        return c
    }

    /// Gathers both agents and exchanges credentials and candidates, as signaling would.
    static func introduce(_ a: ICEAgent, _ b: ICEAgent, passwordForA: String? = nil) async throws {
        let ra = try await a.gather(), rb = try await b.gather()
        #expect(ra.candidates.count == 1 && rb.candidates.count == 1)
        var credentialsB = try await b.localCredentials
        if let passwordForA { credentialsB.pwd = passwordForA }
        try await a.setRemoteCredentials(credentialsB)
        try await b.setRemoteCredentials(try await a.localCredentials)
        // Through the SDP text form, as a real exchange would.
        for c in rb.candidates { try await a.addRemoteCandidate(sdp: c.sdpLine) }
        for c in ra.candidates { try await b.addRemoteCandidate(sdp: c.sdpLine) }
        try await a.endOfRemoteCandidates()
        try await b.endOfRemoteCandidates()
    }

    static func connectBoth(_ a: ICEAgent, _ b: ICEAgent) async throws -> (ICECandidatePair, ICECandidatePair) {
        try await withTimeout(.seconds(10)) {
            async let pa = a.connect()
            async let pb = b.connect()
            return try await (pa, pb)
        }
    }

    static func exchangeData(_ a: ICEAgent, _ b: ICEAgent) async throws {
        let dtls: [UInt8] = [22, 0xFE, 0xFD] + Array(repeating: 7, count: 100)
        let rtp: [UInt8] = [0x80, 96, 0, 1] + Array(repeating: 9, count: 200)
        try await withTimeout(.seconds(5)) {
            async let atB = first(b.datagrams)
            async let atA = first(a.datagrams)
            try await a.send(dtls)
            try await b.send(rtp)
            let (gotB, gotA) = try await (atB, atA)
            #expect(gotB.payload == dtls && gotB.kind == .dtls)
            #expect(gotA.payload == rtp && gotA.kind == .rtp)
        }
    }

    @Test func controllingAndControlledConnectOverUDP() async throws {
        let a = ICEAgent(role: .controlling, configuration: Self.loopbackConfiguration())
        let b = ICEAgent(role: .controlled, configuration: Self.loopbackConfiguration())
        try await Self.introduce(a, b)
        let (pa, pb) = try await Self.connectBoth(a, b)
        #expect(pa.local.address == pb.remote.address)
        #expect(pa.remote.address == pb.local.address)
        #expect(pa.local.address.ip == IPAddress("127.0.0.1"))
        let roleA = try await a.role, roleB = try await b.role
        #expect(roleA == .controlling && roleB == .controlled)
        try await Self.exchangeData(a, b)
        try await a.close()
        try await b.close()
    }

    /// How a test hands the agent a datagram.
    enum SendPath: String, CaseIterable, Sendable {
        /// `send(_:)`: an array, on the loop.
        case array
        /// `send(bytes:)` on the loop (the driver's path).
        case bytesOnLoop
        /// `send(bytes:)` from a task's thread: the published route's socket, no hop.
        case bytesOffLoop
    }

    /// A datagram the socket refuses (here sendmsg's EMSGSIZE: over UDP's 65,507-byte limit)
    /// is counted, not lost without a trace, whichever way it was sent. No sleep: the
    /// failure is counted on the agent's loop, and two hops onto that loop come after it.
    @Test(arguments: SendPath.allCases)
    func refusedSendIsCounted(path: SendPath) async throws {
        let a = ICEAgent(role: .controlling, configuration: Self.loopbackConfiguration())
        let b = ICEAgent(role: .controlled, configuration: Self.loopbackConfiguration())
        try await Self.introduce(a, b)
        _ = try await Self.connectBoth(a, b)
        #expect(a.counters.datagramSendFailures == 0)
        let huge = [0x80, 96] + [UInt8](repeating: 1, count: 70_000)
        switch path {
        case .array: try await a.send(huge)
        case .bytesOnLoop: try await a.eventLoop.submit { try huge.withUnsafeBytes { try a.send(bytes: $0) } }.get()
        case .bytesOffLoop:
            #expect(!a.eventLoop.inEventLoop)
            try huge.withUnsafeBytes { try a.send(bytes: $0) }
        }
        try await a.eventLoop.submit {}.get()
        try await a.eventLoop.submit {}.get()
        #expect(a.counters.datagramSendFailures == 1)
        // The socket stays usable: the next datagram goes through.
        try await Self.exchangeData(a, b)
        #expect(a.counters.datagramSendFailures == 1)
        try await a.close()
        try await b.close()
    }

    /// Off the loop (the media path: the encoder's thread) a datagram goes straight to the
    /// selected pair's socket, the route the driver published; after `close()` there is no
    /// route, and a send hops to the loop, where it fails and is counted.
    @Test func sendsOffTheLoopOnThePublishedRoute() async throws {
        let a = ICEAgent(role: .controlling, configuration: Self.loopbackConfiguration())
        let b = ICEAgent(role: .controlled, configuration: Self.loopbackConfiguration())
        try await Self.introduce(a, b)
        let (pa, _) = try await Self.connectBoth(a, b)
        let route = try #require(a.route.load())
        #expect(route.source == pa.local.address && route.destination == pa.remote.address)
        let rtp: [UInt8] = [0x80, 96, 0, 2] + Array(repeating: 5, count: 300)
        try await withTimeout(.seconds(5)) {
            async let atB = first(b.datagrams)
            #expect(!a.eventLoop.inEventLoop)
            try rtp.withUnsafeBytes { try a.send(bytes: $0) }
            let got = try await atB
            #expect(got.payload == rtp && got.kind == .rtp && got.source == pa.local.address)
        }
        try await a.close()
        #expect(a.route.load() == nil)
        try rtp.withUnsafeBytes { try a.send(bytes: $0) }
        try await a.eventLoop.submit {}.get()
        #expect(a.counters.datagramSendFailures == 1)
        try await b.close()
    }

    /// The socket under the agent: datagrams both ways on 127.0.0.1 and [::1] (`sendto` on the
    /// socket's own descriptor, NIO reading), the sender's address the bound one, and a send
    /// after `close()` counted as failed (the descriptor is gone, never reused).
    @Test(arguments: ["127.0.0.1", "::1"])
    func socketSendsAndReceives(ip: String) async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let received = AsyncStream<(bytes: [UInt8], source: TransportAddress, local: TransportAddress)>.makeStream()
        let network = UDPDatagramNetwork(), address = try #require(IPAddress(ip))
        let a = try await network.bind(ip: address, eventLoop: loop) { _, _, _ in }
        let b = try await network.bind(ip: address, eventLoop: loop) { received.continuation.yield(($0, $1, $2)) }
        #expect(a.localAddress.ip == address && a.localAddress.port != 0 && a.localAddress != b.localAddress)
        let failures = AsyncStream<any Error>.makeStream()
        for n in 0..<3 as Range<UInt8> {
            let payload: [UInt8] = [n, 1, 2, 3]
            try await loop.submit {
                payload.withUnsafeBytes { a.send(bytes: $0, to: b.localAddress, failed: { failures.continuation.yield($0) }) }
            }.get()
        }
        var got: [[UInt8]] = []
        for await datagram in received.stream {
            #expect(datagram.source == a.localAddress && datagram.local == b.localAddress)
            got.append(datagram.bytes)
            if got.count == 3 { break }
        }
        #expect(got == [[0, 1, 2, 3], [1, 1, 2, 3], [2, 1, 2, 3]])
        await a.close()
        try await loop.submit { a.send([9], to: b.localAddress, failed: { failures.continuation.yield($0) }) }.get()
        failures.continuation.finish()
        var errors: [any Error] = []
        for await error in failures.stream { errors.append(error) }
        #expect(errors.count == 1 && errors.first.map { $0 as? ChannelError == .ioOnClosedChannel } == true, "\(errors)")
        await b.close()
    }

    @Test func roleConflictBothControllingOverUDP() async throws {
        let a = ICEAgent(role: .controlling, configuration: Self.loopbackConfiguration())
        let b = ICEAgent(role: .controlling, configuration: Self.loopbackConfiguration())
        try await Self.introduce(a, b)
        let (pa, pb) = try await Self.connectBoth(a, b)
        #expect(pa.local.address == pb.remote.address)
        let roles = Set([try await a.role, try await b.role])
        #expect(roles == [.controlling, .controlled])
        try await Self.exchangeData(a, b)
        try await a.close()
        try await b.close()
    }

    @Test func wrongPasswordIsRefusedOverUDP() async throws {
        let a = ICEAgent(role: .controlling, configuration: Self.loopbackConfiguration())
        let b = ICEAgent(role: .controlled, configuration: Self.loopbackConfiguration())
        let failures = Task {
            var codes: [Int?] = []
            for await event in a.events {
                if case .checkFailed(_, let code) = event { codes.append(code) }
                if case .stateChanged(.failed) = event { break }
            }
            return codes
        }
        try await Self.introduce(a, b, passwordForA: "ThisIsNotTheRightPassword1")
        await #expect(throws: ICEError.self) {
            try await withTimeout(.seconds(10)) { try await a.connect() }
        }
        #expect(await failures.value.contains(401))
        #expect(try await a.state == .failed)
        #expect(try await b.selectedPair == nil)
        await #expect(throws: ICEError.notConnected) { try await a.send([22]) }
        try await a.close()
        try await b.close()
    }
}

/// The first element of an async sequence, or an error when it ends.
func first<S: AsyncSequence & Sendable>(_ sequence: S) async throws -> S.Element where S.Element: Sendable {
    for try await element in sequence { return element }
    throw ICEError.closed
}

struct TimedOut: Error {}

func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimedOut()
        }
        defer { group.cancelAll() }
        guard let result = try await group.next() else { throw TimedOut() }
        return result
    }
}

@Suite struct GatheringTests {
    @Test func loopbackOnlyWhenAsked() throws {
        var c = ICEConfiguration()
        let plain = try HostInterfaces.addresses(for: c)
        #expect(!plain.contains { $0.isLoopback })
        #expect(!plain.contains { $0.isLinkLocal })
        c.allowLoopback = true
        let withLoopback = try HostInterfaces.addresses(for: c)
        #expect(withLoopback.contains(IPAddress("127.0.0.1")!))
        c.includeIPv6 = false
        #expect(try HostInterfaces.addresses(for: c).allSatisfy { !$0.isIPv6 })
        c.restrictToAddresses = [IPAddress("::1")!, IPAddress("127.0.0.1")!]
        #expect(try HostInterfaces.addresses(for: c) == [IPAddress("127.0.0.1")!])
    }

    /// What RTCPeerConnection's automatic loopback choice asks: the same enumeration as gathering.
    @Test func nonLoopbackAddressIsWhatGatheringWouldOffer() throws {
        var c = ICEConfiguration()
        c.includeIPv4 = true
        c.includeIPv6 = true
        c.allowLoopback = false
        #expect(try HostInterfaces.hasNonLoopbackAddress() == !HostInterfaces.addresses(for: c).isEmpty)
    }

    @Test func ipv6AgentsConnectOnLoopback() async throws {
        var c = UDPAgentTests.loopbackConfiguration()
        c.restrictToAddresses = [IPAddress("::1")!]
        let a = ICEAgent(role: .controlling, configuration: c)
        let b = ICEAgent(role: .controlled, configuration: c)
        try await UDPAgentTests.introduce(a, b)
        let (pa, _) = try await UDPAgentTests.connectBoth(a, b)
        #expect(pa.local.address.ip == IPAddress("::1"))
        try await UDPAgentTests.exchangeData(a, b)
        try await a.close()
        try await b.close()
    }

    @Test func hostCandidatesHavePrioritiesAndFoundations() async throws {
        var c = ICEConfiguration.fastForTesting
        c.restrictToAddresses = [IPAddress("127.0.0.1")!, IPAddress("::1")!]
        let agent = ICEAgent(role: .controlling, configuration: c)
        let report = try await agent.gather()
        try await agent.close()
        #expect(report.candidates.count == 2)
        #expect(Set(report.candidates.map(\.priority)).count == 2)
        #expect(Set(report.candidates.map(\.foundation)).count == 2)
        // IPv6 preferred (RFC 8421).
        #expect(report.candidates.max { $0.priority < $1.priority }?.address.ip.isIPv6 == true)
        for candidate in report.candidates {
            #expect(candidate.type == .host && candidate.address.port != 0)
            #expect(try ICECandidate(sdp: candidate.sdpLine) == candidate)
        }
    }
}

@Suite struct UDPLifecycleTests {
    @Test func consentLostWhenPeerCloses() async throws {
        var c = UDPAgentTests.loopbackConfiguration()
        c.consentInterval = .milliseconds(100)
        c.disconnectedTimeout = .milliseconds(300)
        c.consentTimeout = .milliseconds(800)
        let a = ICEAgent(role: .controlling, configuration: c)
        let b = ICEAgent(role: .controlled, configuration: c)
        try await UDPAgentTests.introduce(a, b)
        _ = try await UDPAgentTests.connectBoth(a, b)
        // Consent holds while the peer answers.
        try await Task.sleep(for: .milliseconds(400))
        #expect(try await a.state == .connected)
        let start = ContinuousClock.now
        try await b.close()
        let sawExpiry = try await withTimeout(.seconds(5)) {
            var states: [ICEConnectionState] = []
            for await event in a.events {
                if case .stateChanged(let s) = event { states.append(s) }
                if case .consentExpired = event { return states }
            }
            return states
        }
        let elapsed = ContinuousClock.now - start
        #expect(sawExpiry.contains(.disconnected))
        #expect(elapsed < .seconds(2))
        #expect(try await a.state == .failed)
        await #expect(throws: ICEError.notConnected) { try await a.send([22]) }
        try await a.close()
    }

    @Test func iceRestartOverUDP() async throws {
        let a = ICEAgent(role: .controlling, configuration: UDPAgentTests.loopbackConfiguration())
        let b = ICEAgent(role: .controlled, configuration: UDPAgentTests.loopbackConfiguration())
        try await UDPAgentTests.introduce(a, b)
        _ = try await UDPAgentTests.connectBoth(a, b)
        let oldA = try await a.localCredentials
        let newA = try await a.restart()
        let newB = try await b.restart()
        #expect(newA != oldA && newA.isValid && newB.isValid)
        #expect(try await a.state == .checking)
        // The old pair carries data during the restart.
        try await a.send([0x80, 1])
        let duringRestart = try await withTimeout(.seconds(2)) { try await first(b.datagrams) }
        #expect(duringRestart.payload == [0x80, 1])
        try await a.setRemoteCredentials(newB)
        try await b.setRemoteCredentials(newA)
        for candidate in try await b.localCandidates { try await a.addRemoteCandidate(candidate) }
        for candidate in try await a.localCandidates { try await b.addRemoteCandidate(candidate) }
        let (pa, pb) = try await UDPAgentTests.connectBoth(a, b)
        #expect(pa.remote.address == pb.local.address)
        #expect(try await a.state == .connected)
        try await UDPAgentTests.exchangeData(a, b)
        try await a.close()
        try await b.close()
    }
}

@Suite struct UDPTimingTests {
    /// With the default (RFC) timers, two agents on loopback connect in about one round trip
    /// plus Ta; prints the figure.
    @Test func defaultTimersConnectWellUnderASecond() async throws {
        var c = ICEConfiguration()
        c.restrictToAddresses = [IPAddress("127.0.0.1")!]
        let a = ICEAgent(role: .controlling, configuration: c)
        let b = ICEAgent(role: .controlled, configuration: c)
        try await UDPAgentTests.introduce(a, b)
        let start = ContinuousClock.now
        _ = try await UDPAgentTests.connectBoth(a, b)
        let elapsed = ContinuousClock.now - start
        print("ICE connect on 127.0.0.1 with default timers: \(elapsed)")
        #expect(elapsed < .seconds(1))
        try await a.close()
        try await b.close()
    }
}
