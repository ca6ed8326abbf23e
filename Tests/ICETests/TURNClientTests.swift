import NetworkPrimitives
import Testing
@testable import ICE

/// The TURN client (RFC 8656) against `TURNTestServer` on a simulated clock: no wall-clock
/// sleeps; hours of refreshes run in milliseconds.
@Suite struct TURNClientTests {
    let peer = TransportAddress("198.51.100.7", port: 5000)!

    /// RFC 5769 §2.4: the client's long-term key and its attribute order reproduce the sample.
    @Test func rfc5769LongTermCredentials() throws {
        let sample = try STUNMessage(parsing: RFC5769.longTermRequest)
        let credentials = try #require(TURNLongTermCredentials(
            username: "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}", password: "TheMatrIX",
            realm: "example.org", nonce: "f//499k954d6OL34oL9FSTvy64sA", offered: nil))
        #expect(credentials.key == STUNCredentials.longTermKey(
            username: "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}", realm: "example.org", password: "TheMatrIX"))
        #expect(credentials.verify(sample))
        let rebuilt = STUNMessage(type: .bindingRequest, transactionID: sample.transactionID, attributes: credentials.attributes)
            .encoded(integrityKey: credentials.key)
        #expect(rebuilt == RFC5769.longTermRequest)
    }

    @Test func allocateAfterTheChallenge() throws {
        var sim = TURNSimulation()
        sim.client.allocate(now: sim.now)
        sim.run(until: .seconds(1))
        #expect(sim.client.state == .allocated)
        #expect(sim.client.relayedAddress == sim.server.relayed)
        #expect(sim.client.mappedAddress == sim.base)
        #expect(sim.eventList() == [.allocated(relayed: sim.server.relayed, mapped: sim.base, lifetime: .seconds(600))])
        // The first Allocate unsigned (the 401 brings realm and nonce), the second signed.
        #expect(sim.server.requests.map(\.signed) == [false, true])
        let signed = sim.server.requests[1].message
        #expect(signed.attributes.contains(.requestedTransport(17)))
        #expect(signed.realm == "example.org" && signed.nonce == "nonce-1" && signed.username == "alice")
        #expect(signed.hasMessageIntegrity && !signed.hasMessageIntegritySHA256)
        #expect(sim.now == .seconds(1))
    }

    @Test func sha256WhenTheServerOffersIt() {
        var server = TURNTestServer()
        server.offersSHA256 = true
        var sim = TURNSimulation(server: server)
        sim.client.allocate(now: sim.now)
        sim.run(until: .seconds(1))
        #expect(sim.client.state == .allocated)
        let signed = sim.server.requests[1].message
        #expect(signed.hasMessageIntegritySHA256 && !signed.hasMessageIntegrity)
        #expect(signed.attributes.contains(.passwordAlgorithm(.sha256)))
        #expect(signed.attributes.contains(.passwordAlgorithms([.sha256, .md5])))
    }

    @Test func refreshesBeforeExpiryForAnHour() {
        var sim = TURNSimulation()
        sim.client.allocate(now: sim.now)
        sim.run(until: .seconds(1))
        sim.client.createPermission(for: peer.ip, now: sim.now)
        sim.run(until: .seconds(3600))
        #expect(sim.client.state == .allocated)
        // 600 s lifetime, refreshed 60 s before expiry: at 540, 1080, ... 3240 s.
        #expect(sim.server.count(.refresh) == 6)
        #expect(sim.eventList().filter { $0 == .refreshed(lifetime: .seconds(600)) }.count == 6)
        // Permissions (300 s) every 240 s: the first, then 15 refreshes.
        #expect(sim.server.count(.createPermission) == 1 + 14)
        #expect(sim.client.hasPermission(for: peer.ip))
        #expect(sim.server.permissions[peer.ip].map { $0 > sim.now } == true)
    }

    @Test func staleNonceIsRetriedWithTheNewOne() {
        var sim = TURNSimulation()
        sim.client.allocate(now: sim.now)
        sim.run(until: .seconds(1))
        sim.server.nonce = "nonce-2"
        sim.run(until: .seconds(600))
        #expect(sim.client.state == .allocated)
        let refreshes = sim.server.requests.filter { $0.method == .refresh }.map(\.message.nonce)
        #expect(refreshes == ["nonce-1", "nonce-2"])
        #expect(sim.eventList().last == .refreshed(lifetime: .seconds(600)))
    }

    @Test func permissionThenIndicationsThenChannelData() {
        var sim = TURNSimulation()
        sim.client.allocate(now: sim.now)
        sim.run(until: .seconds(1))
        // Before any permission: held, CreatePermission sent, then the Send indication.
        sim.send([1, 2, 3], to: peer)
        #expect(sim.server.sentToPeers.isEmpty)
        sim.run(until: .seconds(2))
        #expect(sim.client.hasPermission(for: peer.ip))
        #expect(sim.server.sentToPeers.map(\.data) == [[1, 2, 3]])
        #expect(sim.server.sentToPeers.first?.viaChannel == false)
        // That first Send indication also started a ChannelBind: ChannelData from then on.
        #expect(sim.server.count(.channelBind) == 1)
        #expect(sim.client.boundChannel(for: peer) == 0x4000)
        #expect(sim.eventList().contains(.channelBound(channelNumber: 0x4000, peer: peer)))
        sim.send([5, 6], to: peer)
        sim.run(until: .seconds(4))
        #expect(sim.server.sentToPeers.last.map { $0.data == [5, 6] && $0.viaChannel } == true)
        // From the peer: ChannelData on the bound channel; a Data indication from another peer
        // without a permission is refused and counted.
        sim.deliverFromPeer([9, 9], peer: peer)
        sim.deliverFromPeer([7], peer: TransportAddress("203.0.113.9", port: 1)!)
        sim.run(until: .seconds(5))
        #expect(sim.received.map(\.payload) == [[9, 9]])
        #expect(sim.received.first?.peer == peer)
        #expect(sim.client.counters.unexpectedPeerData == 1)
        // The channel (600 s) is refreshed every 540 s.
        sim.run(until: .seconds(1200))
        #expect(sim.server.count(.channelBind) == 3)
    }

    @Test func dataIndicationFromAPermittedPeer() {
        var server = TURNTestServer()
        server.relayed = TransportAddress("192.0.2.15", port: 50001)!
        var configuration = TURNClientConfiguration()
        configuration.bindsChannels = false
        var sim = TURNSimulation(configuration: configuration, server: server)
        sim.client.allocate(now: sim.now)
        sim.run(until: .seconds(1))
        sim.client.createPermission(for: peer.ip, now: sim.now)
        sim.run(until: .seconds(2))
        sim.deliverFromPeer([0x16, 0xFE], peer: peer)
        sim.run(until: .seconds(3))
        #expect(sim.received.map(\.payload) == [[0x16, 0xFE]])
        #expect(sim.server.count(.channelBind) == 0)
    }

    @Test func errorsMapToSwiftErrors() {
        let cases: [(Int, TURNError)] = [
            (437, .allocationMismatch), (441, .wrongCredentials), (442, .unsupportedTransportProtocol),
            (486, .allocationQuotaReached), (508, .insufficientCapacity), (403, .forbidden),
            (500, .serverError(code: 500, reason: "Test 500")),
        ]
        for (code, error) in cases {
            var server = TURNTestServer()
            server.injectedErrors[.allocate] = code
            var sim = TURNSimulation(server: server)
            sim.client.allocate(now: sim.now)
            sim.run(until: .seconds(1))
            #expect(sim.client.state == .failed(error), "\(code)")
            #expect(sim.eventList() == [.allocationFailed(error)], "\(code)")
        }
    }

    @Test func wrongPasswordIsUnauthorized() {
        var sim = TURNSimulation(password: "not-the-password")
        sim.client.allocate(now: sim.now)
        sim.run(until: .seconds(1))
        #expect(sim.client.state == .failed(.unauthorized))
        #expect(sim.server.count(.allocate) == 2)
        #expect(TURNError.unauthorized.description.contains("username or password"))
    }

    @Test func silentServerTimesOutAfterRetransmissions() {
        var server = TURNTestServer()
        server.silent = [.allocate]
        var sim = TURNSimulation(server: server)
        sim.client.allocate(now: sim.now)
        sim.run(until: .seconds(120))
        #expect(sim.client.state == .failed(.timeout))
        #expect(sim.server.count(.allocate) == 7)
        // RFC 8489 §6.2.1: 500 ms doubling, Rc = 7, the last waiting 16 x RTO capped at 8 s.
        #expect(sim.events.first?.0 == .milliseconds(500 + 1000 + 2000 + 4000 + 8000 + 8000 + 8000))
    }

    @Test func refreshRefusedLosesTheAllocation() {
        var sim = TURNSimulation()
        sim.client.allocate(now: sim.now)
        sim.run(until: .seconds(1))
        sim.server.injectedErrors[.refresh] = 437
        sim.run(until: .seconds(600))
        #expect(sim.client.state == .failed(.allocationMismatch))
        #expect(sim.eventList().last == .allocationLost(.allocationMismatch))
        #expect(sim.client.nextDeadline == nil)
    }

    @Test func unansweredRefreshesEndInExpiry() {
        var sim = TURNSimulation()
        sim.client.allocate(now: sim.now)
        sim.run(until: .seconds(1))
        sim.server.silent = [.refresh]
        sim.run(until: .seconds(700))
        #expect(sim.client.state == .failed(.allocationExpired))
        #expect(sim.events.last.map { $0.1 == .allocationLost(.allocationExpired) && $0.0 == .milliseconds(600_040) } == true)
        // Allocated at 40 ms (two round trips); expired 600 s later, not a moment after.
    }

    @Test func closeSendsLifetimeZero() {
        var sim = TURNSimulation()
        sim.client.allocate(now: sim.now)
        sim.run(until: .seconds(1))
        sim.client.close(now: sim.now)
        sim.run(until: .seconds(2))
        #expect(sim.client.state == .closed)
        #expect(!sim.server.allocated)
        #expect(sim.server.requests.last?.message.attributes.contains(.lifetime(0)) == true)
        #expect(sim.eventList().last == .closed)
        #expect(sim.client.send([1], to: peer, now: sim.now) == nil)
    }

    @Test func channelDataFraming() {
        let m = TURNChannelData(channelNumber: 0x4001, data: [1, 2, 3, 4, 5])
        #expect(m.encoded(padded: false) == [0x40, 0x01, 0, 5, 1, 2, 3, 4, 5])
        #expect(m.encoded(padded: true) == [0x40, 0x01, 0, 5, 1, 2, 3, 4, 5, 0, 0, 0])
        #expect(TURNChannelData(parsing: m.encoded(padded: true)) == m)
        #expect(TURNChannelData(parsing: [0x40, 0x01, 0, 6, 1, 2, 3, 4, 5]) == nil)  // short
        #expect(TURNChannelData(parsing: [0x50, 0x00, 0, 0]) == nil)  // 0x5000 is not a channel
        #expect(TURNChannelData(parsing: [0x40]) == nil)
    }

    @Test func garbageFromTheServerNeverTraps() {
        var sim = TURNSimulation()
        sim.client.allocate(now: sim.now)
        sim.run(until: .seconds(1))
        var generator = SplitMix64(seed: 3)
        let seeds = [sim.server.fromPeer([1, 2, 3], peer: peer),
                     TURNChannelData(channelNumber: 0x4000, data: [1, 2]).encoded(padded: false)]
        for _ in 0..<2000 {
            var bytes = seeds[Int(generator.next() % 2)]
            let cut = Int(generator.next() % UInt64(bytes.count + 1))
            bytes = Array(bytes.prefix(cut))
            if !bytes.isEmpty { bytes[Int(generator.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: generator.next()) }
            _ = sim.client.handle(bytes, now: sim.now)
        }
        #expect(sim.client.state == .allocated)
        #expect(sim.client.counters.malformedMessages + sim.client.counters.unexpectedPeerData > 0)
    }
}

/// ICE through the relay (RFC 8445 §5.1.1.2): a relayed candidate, checks and data through a
/// TURN server on the simulated network.
@Suite struct RelayedAgentTests {
    static func relayPair(policy: ICETransportPolicy) -> SimulatedPair {
        var configA = ICEConfiguration.simulated
        configA.transportPolicy = policy
        var sim = SimulatedAgentTests.makePair()
        configA.turnServers = [TURNServer(address: sim.turnAddress, username: "alice", password: "secret")]
        sim.a = ICEAgentCore(role: .controlling, configuration: configA, localCredentials: sim.a.localCredentials,
                             tieBreaker: 10, random: SplitMix64(seed: 11))
        sim.turn = TURNTestServer()
        return sim
    }

    @Test func relayPolicyConnectsThroughTheRelay() throws {
        var sim = Self.relayPair(policy: .relay)
        sim.a.addHostCandidate(base: sim.aAddress, now: sim.now)
        let hostB = sim.b.addHostCandidate(base: sim.bAddress, now: sim.now)
        sim.a.finishHostGathering()
        sim.b.finishHostGathering()
        sim.drain()
        #expect(!sim.a.gatheringComplete)  // the Allocate is pending
        sim.run(until: .seconds(1)) { $0.a.gatheringComplete }
        #expect(sim.a.gatheringComplete)
        // Only the relayed candidate is signaled, type preference 0, raddr the mapped address.
        let signaled = sim.a.signaledCandidates
        #expect(signaled.map(\.type) == [.relayed])
        let relay = try #require(signaled.first)
        #expect(relay.address == sim.turn?.relayed)
        #expect(relay.priority >> 24 == 0)
        #expect(relay.relatedAddress == sim.aAddress)
        #expect(relay.sdpAttribute.contains("typ relay raddr 10.0.0.1 rport 5000"))
        #expect(sim.eventsA.contains { if case .relayResult(let r) = $0.1 { r.candidate == relay } else { false } })

        sim.a.setRemoteCredentials(sim.b.localCredentials, now: sim.now)
        sim.b.setRemoteCredentials(sim.a.localCredentials, now: sim.now)
        sim.a.addRemoteCandidate(hostB, now: sim.now)
        sim.b.addRemoteCandidate(relay, now: sim.now)
        sim.drain()
        sim.run(until: .seconds(5)) { $0.bothConnected }
        #expect(sim.bothConnected)
        #expect(sim.a.selectedPair?.local.type == .relayed)
        #expect(sim.b.selectedPair?.remote.address == relay.address)
        // Nothing went from A's host address to B directly.
        #expect(!sim.trace.contains { $0.contains("10.0.0.1:5000->10.0.0.2:6000") })

        // Application data both ways through the relay, on a bound channel once it is bound.
        sim.run(until: sim.now + .milliseconds(200))
        let t1 = try sim.a.send([22, 0xFE, 0xFD, 1])
        #expect(t1.destination == sim.turnAddress)
        sim.send(t1)
        sim.drain()
        let t2 = try sim.b.send([0x80, 96, 0, 1])
        sim.send(t2)
        sim.run(until: sim.now + .milliseconds(50))
        let gotB = sim.eventsB.compactMap { if case .applicationData(let d, _, let from, _) = $0.1 { (d, from) } else { nil } }
        let gotA = sim.eventsA.compactMap { if case .applicationData(let d, _, let from, let base) = $0.1 { (d, from, base) } else { nil } }
        #expect(gotB.map(\.0) == [[22, 0xFE, 0xFD, 1]] && gotB.first?.1 == relay.address)
        #expect(gotA.map(\.0) == [[0x80, 96, 0, 1]] && gotA.first?.1 == sim.bAddress && gotA.first?.2 == relay.address)
        let server = try #require(sim.turn)
        #expect(server.count(.createPermission) >= 1)
        #expect(server.channels.values.contains(sim.bAddress))
        #expect(server.sentToPeers.last?.viaChannel == true)
    }

    /// The allocation refused at its Refresh (437): the agent reports it, sending through it
    /// throws, and consent then fails the connection (RFC 7675).
    @Test func lostAllocationEndsTheRelayedPath() throws {
        var sim = Self.relayPair(policy: .relay)
        sim.a.addHostCandidate(base: sim.aAddress, now: sim.now)
        let hostB = sim.b.addHostCandidate(base: sim.bAddress, now: sim.now)
        sim.a.finishHostGathering()
        sim.b.finishHostGathering()
        sim.drain()
        sim.run(until: .seconds(1)) { $0.a.gatheringComplete }
        let relay = try #require(sim.a.signaledCandidates.first)
        sim.a.setRemoteCredentials(sim.b.localCredentials, now: sim.now)
        sim.b.setRemoteCredentials(sim.a.localCredentials, now: sim.now)
        sim.a.addRemoteCandidate(hostB, now: sim.now)
        sim.b.addRemoteCandidate(relay, now: sim.now)
        sim.drain()
        sim.run(until: .seconds(5)) { $0.bothConnected }
        #expect(sim.bothConnected)
        sim.turn?.injectedErrors[.refresh] = 437
        sim.run(until: .seconds(600))
        #expect(sim.eventsA.contains { if case .relayLost(_, .allocationMismatch) = $0.1 { true } else { false } })
        #expect(throws: ICEError.self) { try sim.a.send([0x80, 0]) }
        sim.run(until: .seconds(700))
        #expect(sim.a.state == .failed)
        #expect(sim.eventsA.contains { if case .consentExpired = $0.1 { true } else { false } })
    }

    @Test func allPolicyOffersHostAndRelay() {
        var sim = Self.relayPair(policy: .all)
        sim.a.addHostCandidate(base: sim.aAddress, now: sim.now)
        sim.a.finishHostGathering()
        sim.drain()
        sim.run(until: .seconds(1)) { $0.a.gatheringComplete }
        #expect(sim.a.signaledCandidates.map(\.type) == [.host, .relayed])
    }

    @Test func failedAllocationStillCompletesGathering() {
        var sim = Self.relayPair(policy: .relay)
        sim.turn?.injectedErrors[.allocate] = 486
        sim.a.addHostCandidate(base: sim.aAddress, now: sim.now)
        sim.a.finishHostGathering()
        sim.drain()
        sim.run(until: .seconds(1)) { $0.a.gatheringComplete }
        #expect(sim.a.gatheringComplete)
        #expect(sim.a.signaledCandidates.isEmpty)
        #expect(sim.eventsA.contains {
            if case .relayResult(let r) = $0.1 { r.error == .allocationQuotaReached } else { false }
        })
    }
}

@Suite struct TURNStreamFramerTests {
    @Test func splitsSTUNAndPaddedChannelData() throws {
        let stun = STUNMessage(type: STUNMessageType(method: .allocate, messageClass: .request),
                               transactionID: STUNTransactionID(1, 2, 3), attributes: [.requestedTransport(17)]).encoded()
        let channel = TURNChannelData(channelNumber: 0x4000, data: [1, 2, 3, 4, 5]).encoded(padded: true)
        let stream = stun + channel + stun
        // Byte by byte: each message comes out once it is complete, ChannelData unpadded.
        var framer = TURNStreamFramer()
        var out: [[UInt8]] = []
        for b in stream { out += framer.append([b]) }
        #expect(out == [stun, Array(channel.prefix(9)), stun])
        // All at once.
        var whole = TURNStreamFramer()
        #expect(whole.append(stream) == [stun, Array(channel.prefix(9)), stun])
        #expect(TURNChannelData(parsing: out[1])?.data == [1, 2, 3, 4, 5])
    }

    @Test func garbageBreaksTheStream() {
        var framer = TURNStreamFramer()
        #expect(framer.append([0x80, 0, 0, 4, 1, 2, 3, 4]).isEmpty)
        #expect(framer.broken)
        #expect(framer.append([0, 1, 0, 0]).isEmpty)
    }
}

@Suite struct TURNClientOverStreamTests {
    /// RFC 8489 §6.2.2: over TCP a request is sent once and times out after Ti (39.5 s).
    @Test func noRetransmissionsOverTCP() {
        var server = TURNTestServer()
        server.silent = [.allocate]
        let client = TURNClient(server: TransportAddress("192.0.2.1", port: 3478)!, base: TransportAddress("10.0.0.2", port: 40000)!,
                                transport: .tcp, username: "alice", password: "secret", random: SplitMix64(seed: 7))
        var sim = TURNSimulation(server: server)
        sim.client = client
        sim.client.allocate(now: sim.now)
        sim.run(until: .seconds(60))
        #expect(sim.server.count(.allocate) == 1)
        #expect(sim.events.first.map { $0.0 == .milliseconds(39_500) && $0.1 == .allocationFailed(.timeout) } == true)
    }

    /// RFC 8656 §12.5: over TCP, ChannelData is padded to a multiple of four bytes; the end of
    /// the connection ends the allocation.
    @Test func channelDataIsPaddedAndTheConnectionEndsIt() {
        var sim = TURNSimulation()
        sim.client = TURNClient(server: TransportAddress("192.0.2.1", port: 3478)!, base: sim.base, transport: .tcp,
                                username: "alice", password: "secret", random: SplitMix64(seed: 7))
        let peer = TransportAddress("198.51.100.7", port: 5000)!
        sim.client.allocate(now: sim.now)
        sim.run(until: .seconds(1))
        sim.send([1], to: peer)
        sim.run(until: .seconds(2))
        #expect(sim.client.boundChannel(for: peer) != nil)
        let bytes = sim.client.send([1, 2, 3, 4, 5], to: peer, now: sim.now)
        #expect(bytes?.count == 12)
        #expect(bytes.flatMap(TURNChannelData.init(parsing:))?.data == [1, 2, 3, 4, 5])
        sim.client.connectionClosed()
        sim.collect()
        #expect(sim.client.state == .failed(.connectionClosed))
        #expect(sim.eventList().last == .allocationLost(.connectionClosed))
    }
}
