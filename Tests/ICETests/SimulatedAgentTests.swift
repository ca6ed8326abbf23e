import NetworkPrimitives
import Testing
@testable import ICE

@Suite struct SimulatedAgentTests {
    static func makePair(roleA: ICERole = .controlling, roleB: ICERole = .controlled,
                         tieA: UInt64 = 10, tieB: UInt64 = 20, config: ICEConfiguration = .simulated) -> SimulatedPair {
        var seedA = SplitMix64(seed: 1), seedB = SplitMix64(seed: 2)
        let a = ICEAgentCore(role: roleA, configuration: config, localCredentials: .generate(using: &seedA),
                             tieBreaker: tieA, random: SplitMix64(seed: 11))
        let b = ICEAgentCore(role: roleB, configuration: config, localCredentials: .generate(using: &seedB),
                             tieBreaker: tieB, random: SplitMix64(seed: 22))
        return SimulatedPair(a: a, b: b)
    }

    @Test func controllingAndControlledConnectDeterministically() throws {
        var traces: [[String]] = []
        var connectTimes: [Duration] = []
        for _ in 0..<2 {
            var sim = Self.makePair()
            sim.start()
            sim.run(until: .seconds(5)) { $0.bothConnected }
            #expect(sim.bothConnected)
            #expect(sim.a.state == .connected && sim.b.state == .connected)
            #expect(sim.a.selectedPair?.remote.address == sim.bAddress)
            #expect(sim.b.selectedPair?.remote.address == sim.aAddress)
            #expect(sim.a.role == .controlling && sim.b.role == .controlled)
            // Well under a second of simulated time: one check each way plus a nomination.
            #expect(sim.now < .milliseconds(300))
            traces.append(sim.trace)
            connectTimes.append(sim.now)

            // Application data on the selected pair, both ways, demultiplexed as DTLS/RTP.
            let t1 = try sim.a.send([22, 0xFE, 0xFD, 1])
            sim.send(t1)
            let t2 = try sim.b.send([0x80, 96, 0, 1])
            sim.send(t2)
            sim.run(until: sim.now + .milliseconds(20))
            let gotB = sim.eventsB.compactMap { if case .applicationData(let d, let k, _, _) = $0.1 { (d, k) } else { nil } }
            let gotA = sim.eventsA.compactMap { if case .applicationData(let d, let k, _, _) = $0.1 { (d, k) } else { nil } }
            #expect(gotB.map(\.0) == [[22, 0xFE, 0xFD, 1]] && gotB.first?.1 == .dtls)
            #expect(gotA.map(\.0) == [[0x80, 96, 0, 1]] && gotA.first?.1 == .rtp)
        }
        #expect(traces[0] == traces[1])
        #expect(connectTimes[0] == connectTimes[1])
    }

    @Test func roleConflictBothControlling() {
        // A has the larger tie-breaker: B must yield and become controlled (487 or switch).
        var sim = Self.makePair(roleA: .controlling, roleB: .controlling, tieA: 1000, tieB: 5)
        sim.start()
        sim.run(until: .seconds(5)) { $0.bothConnected }
        #expect(sim.bothConnected)
        #expect(sim.a.role == .controlling)
        #expect(sim.b.role == .controlled)
        #expect(sim.eventsB.contains { if case .roleChanged(.controlled) = $0.1 { true } else { false } })
    }

    @Test func roleConflictBothControlled() {
        var sim = Self.makePair(roleA: .controlled, roleB: .controlled, tieA: 7, tieB: 9)
        sim.start()
        sim.run(until: .seconds(5)) { $0.bothConnected }
        #expect(sim.bothConnected)
        #expect(sim.b.role == .controlling)
        #expect(sim.a.role == .controlled)
    }

    @Test func trickleAndPeerReflexiveDiscovery() {
        // Only A learns B's candidate (late, by trickle); B learns A's address from A's check.
        var sim = Self.makePair()
        sim.start(exchangeCandidates: false, endOfCandidates: false)
        sim.run(until: .milliseconds(100))
        #expect(sim.a.selectedPair == nil)
        sim.a.addRemoteCandidate(sim.b.localCandidates[0], now: sim.now)
        sim.drain()
        sim.run(until: .seconds(5)) { $0.bothConnected }
        #expect(sim.bothConnected)
        #expect(sim.b.remoteCandidates.first?.type == .peerReflexive)
        #expect(sim.b.remoteCandidates.first?.address == sim.aAddress)
    }

    @Test func consentFreshnessDeclaresSilentPeerGoneWithin30Seconds() throws {
        // RFC 7675 timers at their defaults (5 s checks, 30 s timeout), on simulated time.
        var sim = Self.makePair()
        sim.start()
        sim.run(until: .seconds(5)) { $0.bothConnected }
        #expect(sim.bothConnected)
        // Consent is kept while the peer answers.
        sim.run(until: .seconds(60))
        #expect(sim.a.state == .connected)
        let consentChecks = sim.trace.filter { $0.contains("10.0.0.1:5000->10.0.0.2:6000") }.count
        #expect(consentChecks >= 10)

        // B goes silent.
        let silentAt = sim.now
        sim.isDropped = { $0.source.port == 6000 }
        sim.run(until: silentAt + .seconds(40)) { $0.a.state == .failed }
        #expect(sim.a.state == .failed)
        #expect(sim.a.selectedPair == nil)
        let expired = try #require(sim.eventsA.first { if case .consentExpired = $0.1 { true } else { false } })
        #expect(expired.0 - silentAt <= .seconds(30))
        #expect(expired.0 - silentAt >= .seconds(20))
        #expect(sim.eventsA.contains { if case .stateChanged(.disconnected) = $0.1 { true } else { false } })
        #expect(throws: ICEError.notConnected) { try sim.a.send([1]) }
        // Failed, the controlling agent has nothing left to nominate: no deadline in the past
        // (one there fired forever, a busy loop).
        #expect(sim.a.nextDeadline.map { $0 > sim.now } ?? true)
        sim.run(until: sim.now + .seconds(10))
        #expect(sim.a.nextDeadline.map { $0 > sim.now } ?? true)
    }

    @Test func wrongPasswordIsRefusedWith401() {
        var sim = Self.makePair(config: .fastForTesting)
        let ca = sim.a.addHostCandidate(base: sim.aAddress, now: .zero)
        let cb = sim.b.addHostCandidate(base: sim.bAddress, now: .zero)
        var wrong = sim.b.localCredentials
        wrong.pwd = String(wrong.pwd.reversed())
        sim.a.setRemoteCredentials(wrong, now: .zero)
        sim.b.setRemoteCredentials(sim.a.localCredentials, now: .zero)
        sim.a.addRemoteCandidate(cb, now: .zero)
        sim.b.addRemoteCandidate(ca, now: .zero)
        sim.a.endOfRemoteCandidates(now: .zero)
        sim.b.endOfRemoteCandidates(now: .zero)
        sim.drain()
        sim.run(until: .seconds(5)) { $0.a.state == .failed }
        #expect(sim.a.state == .failed)
        #expect(sim.a.selectedPair == nil)
        #expect(sim.b.selectedPair == nil)
        #expect(sim.eventsA.contains { if case .checkFailed(_, errorCode: 401) = $0.1 { true } else { false } })
        // No application data can flow.
        #expect(throws: ICEError.notConnected) { try sim.a.send([1]) }
        #expect(throws: ICEError.notConnected) { try sim.b.send([1]) }
    }

    @Test func iceRestartWithNewCredentials() throws {
        var sim = Self.makePair()
        sim.start()
        sim.run(until: .seconds(5)) { $0.bothConnected }
        #expect(sim.bothConnected)
        let oldA = sim.a.localCredentials, oldB = sim.b.localCredentials
        sim.a.restart(now: sim.now)
        sim.b.restart(now: sim.now)
        #expect(sim.a.localCredentials != oldA && sim.b.localCredentials != oldB)
        #expect(sim.a.localCredentials.isValid && sim.b.localCredentials.isValid)
        // Data still flows on the old pair during the restart.
        _ = try sim.a.send([0x80])
        let eventsBefore = sim.eventsA.count
        sim.a.setRemoteCredentials(sim.b.localCredentials, now: sim.now)
        sim.b.setRemoteCredentials(sim.a.localCredentials, now: sim.now)
        sim.a.addRemoteCandidate(sim.b.localCandidates[0], now: sim.now)
        sim.b.addRemoteCandidate(sim.a.localCandidates[0], now: sim.now)
        sim.drain()
        sim.run(until: sim.now + .seconds(5)) { s in
            s.eventsA.dropFirst(eventsBefore).contains { if case .selectedPairChanged = $0.1 { true } else { false } }
                && s.b.selectedPair != nil && s.b.state == .connected
        }
        #expect(sim.eventsA.dropFirst(eventsBefore).contains { if case .selectedPairChanged = $0.1 { true } else { false } })
        #expect(sim.a.state == .connected && sim.b.state == .connected)
    }

    /// An agent with host 10.0.0.1:5000 whose STUN server (192.0.2.10:3478, played by the
    /// test) answers its Binding request with `mapped`, a pretend NAT mapping.
    static func agentAnsweredBySTUNServer(mapped: TransportAddress) throws
        -> (agent: ICEAgentCore, request: ICETransmit, parsed: STUNMessage, server: TransportAddress, base: TransportAddress) {
        var config = ICEConfiguration.simulated
        let server = TransportAddress("192.0.2.10", port: 3478)!
        config.stunServers = [server]
        var a = ICEAgentCore(role: .controlling, configuration: config, random: SplitMix64(seed: 3))
        let base = TransportAddress("10.0.0.1", port: 5000)!
        a.addHostCandidate(base: base, now: .zero)
        a.finishHostGathering()
        let firstTransmit = a.pollTransmit()
        let request = try #require(firstTransmit)
        let parsed = try STUNMessage(parsing: request.payload)
        let answer = STUNMessage(type: .bindingSuccess, transactionID: parsed.transactionID,
                                 attributes: [.xorMappedAddress(mapped)]).encoded(fingerprint: true)
        a.handleDatagram(answer, from: server, to: base, now: .milliseconds(10))
        return (a, request, parsed, server, base)
    }

    @Test func stunServerAnswerBecomesServerReflexiveCandidate() throws {
        let mapped = TransportAddress("203.0.113.7", port: 40000)!
        var (a, request, parsed, server, base) = try Self.agentAnsweredBySTUNServer(mapped: mapped)
        #expect(request.destination == server && request.source == base)
        #expect(parsed.type == .bindingRequest && !parsed.hasMessageIntegrity)
        var events: [ICEEvent] = []
        while let e = a.pollEvent() { events.append(e) }
        let srflx = try #require(a.localCandidates.first { $0.type == .serverReflexive })
        #expect(srflx.address == mapped)
        #expect(srflx.relatedAddress == base)
        #expect(srflx.priority < a.localCandidates[0].priority)
        #expect(events.contains { if case .serverReflexiveResult(let r) = $0 { r.candidate == srflx && !r.redundant } else { false } })
        #expect(events.contains { if case .gatheringComplete = $0 { true } else { false } })
    }

    @Test func unauthenticatedAndMalformedRequestsGetErrors() throws {
        var a = ICEAgentCore(role: .controlled, configuration: .simulated, random: SplitMix64(seed: 4))
        let base = TransportAddress("10.0.0.1", port: 5000)!
        let peer = TransportAddress("10.0.0.2", port: 6000)!
        a.addHostCandidate(base: base, now: .zero)
        // Right ufrag, wrong password: 401.
        let bad = STUNMessage(type: .bindingRequest, transactionID: .random(), attributes: [
            .username(a.localCredentials.ufrag + ":abcd"), .priority(100), .iceControlling(1),
        ]).encoded(integrityKey: Array("not-the-password-at-all".utf8), fingerprint: true)
        a.handleDatagram(bad, from: peer, to: base, now: .zero)
        let t401 = a.pollTransmit()
        let reply = try STUNMessage(parsing: try #require(t401).payload)
        #expect(reply.type == .bindingError && reply.errorCode?.code == 401)
        // No MESSAGE-INTEGRITY: 400.
        let unsigned = STUNMessage(type: .bindingRequest, transactionID: .random(),
                                   attributes: [.username(a.localCredentials.ufrag + ":abcd")]).encoded()
        a.handleDatagram(unsigned, from: peer, to: base, now: .zero)
        let t400 = a.pollTransmit()
        let reply400 = try STUNMessage(parsing: try #require(t400).payload)
        #expect(reply400.errorCode?.code == 400)
        // Garbage and unknown peers' application data are ignored.
        a.handleDatagram([0, 1, 2], from: peer, to: base, now: .zero)
        a.handleDatagram([23, 1, 2], from: peer, to: base, now: .zero)
        #expect(a.pollTransmit() == nil)
        while let e = a.pollEvent() {
            if case .applicationData = e { Issue.record("data from an unknown peer was accepted") }
        }
        #expect(a.selectedPair == nil)
    }
}

@Suite struct PacingTests {
    /// New checks go out no faster than Ta (50 ms by default, RFC 8445 §14.2); the first
    /// request of each transaction is what counts (retransmissions are not paced).
    @Test func checksArePacedByTa() throws {
        var a = ICEAgentCore(role: .controlling, configuration: ICEConfiguration(), random: SplitMix64(seed: 9))
        for port: UInt16 in [5000, 5001, 5002] { a.addHostCandidate(base: TransportAddress("10.0.0.1", port: port)!, now: .zero) }
        a.finishHostGathering()
        a.setRemoteCredentials(ICECredentials.generate(), now: .zero)
        for port: UInt16 in [6000, 6001, 6002] {
            a.addRemoteCandidate(ICECandidate(foundation: "r\(port)", priority: 2_000_000_000 - UInt32(port),
                                              address: TransportAddress("10.0.0.2", port: port)!, type: .host), now: .zero)
        }
        var now = Duration.zero
        var firstSent: [STUNTransactionID: Duration] = [:]
        while now < .seconds(2) {
            while let t = a.pollTransmit() {
                let m = try STUNMessage(parsing: t.payload)
                #expect(m.type == .bindingRequest)
                if firstSent[m.transactionID] == nil { firstSent[m.transactionID] = now }
            }
            guard let next = a.nextDeadline else { break }
            now = next
            a.handleTimeout(now: now)
        }
        let times = firstSent.values.sorted()
        #expect(times.count == 9)  // 3 x 3 pairs, each checked once
        for (earlier, later) in zip(times, times.dropFirst()) {
            #expect(later - earlier >= .milliseconds(50))
        }
        #expect(times.last! - times.first! < .milliseconds(500))
    }

    @Test func unknownComprehensionRequiredAttributeGets420() throws {
        var a = ICEAgentCore(role: .controlled, configuration: .simulated, random: SplitMix64(seed: 5))
        let base = TransportAddress("10.0.0.1", port: 5000)!
        a.addHostCandidate(base: base, now: .zero)
        let request = STUNMessage(type: .bindingRequest, transactionID: .random(), attributes: [
            .username(a.localCredentials.ufrag + ":peer"), .priority(1), .iceControlling(1),
            .unknown(type: 0x0777, value: [1, 2, 3, 4]),
        ]).encoded(integrityKey: STUNCredentials.shortTermKey(password: a.localCredentials.pwd), fingerprint: true)
        a.handleDatagram(request, from: TransportAddress("10.0.0.2", port: 1)!, to: base, now: .zero)
        let t = a.pollTransmit()
        let reply = try STUNMessage(parsing: try #require(t).payload)
        #expect(reply.errorCode?.code == 420)
        #expect(reply.attributes.contains(.unknown(type: STUNAttributeType.unknownAttributes, value: [0x07, 0x77])))
    }
}

@Suite struct AgentRobustnessTests {
    /// Garbage, truncated and mutated STUN datagrams into a connected agent: no trap, and the
    /// connection survives.
    @Test func garbageDatagramsNeverTrapTheAgent() throws {
        var sim = SimulatedAgentTests.makePair()
        sim.start()
        sim.run(until: .seconds(5)) { $0.bothConnected }
        #expect(sim.bothConnected)
        // A real request from B to A, captured by re-encoding one with A's credentials.
        let valid = STUNMessage(type: .bindingRequest, transactionID: .random(), attributes: [
            .username(sim.a.localCredentials.ufrag + ":" + sim.b.localCredentials.ufrag),
            .priority(1_000), .iceControlled(20), .useCandidate,
        ]).encoded(integrityKey: STUNCredentials.shortTermKey(password: sim.a.localCredentials.pwd), fingerprint: true)
        var generator = SplitMix64(seed: 8445)
        for i in 0..<3000 {
            var datagram: [UInt8]
            switch i % 3 {
            case 0:
                datagram = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            case 1:
                datagram = Array(valid.prefix(Int.random(in: 0...valid.count, using: &generator)))
            default:
                datagram = valid
                datagram[Int.random(in: 0..<valid.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            sim.a.handleDatagram(datagram, from: sim.bAddress, to: sim.aAddress, now: sim.now)
            sim.a.handleDatagram(datagram, from: TransportAddress("10.9.9.9", port: 9)!, to: sim.aAddress, now: sim.now)
            while sim.a.pollTransmit() != nil {}
            while sim.a.pollEvent() != nil {}
        }
        #expect(sim.a.state == .connected)
        #expect(sim.a.selectedPair?.remote.address == sim.bAddress)
    }
}

@Suite struct CheckingTimeoutTests {
    /// Chromium never sends end-of-candidates: when every pair fails the agent must still
    /// reach `failed`, after `checkingTimeout` (30 s by default).
    @Test func failsWithoutEndOfCandidatesAfterCheckingTimeout() throws {
        var sim = SimulatedAgentTests.makePair(config: .simulated)
        sim.start(endOfCandidates: false)
        sim.isDropped = { _ in true }  // the peer is unreachable
        sim.run(until: .seconds(60)) { $0.a.state == .failed }
        #expect(sim.a.state == .failed)
        let failedAt = try #require(sim.eventsA.first { if case .stateChanged(.failed) = $0.1 { true } else { false } }?.0)
        // Checks time out after about 15.5 s (7 transmissions), then 30 s of nothing.
        #expect(failedAt >= .seconds(30) && failedAt <= .seconds(50))
        #expect(sim.a.selectedPair == nil)
    }

    @Test func staysCheckingWhileChecksAreUnderway() {
        var sim = SimulatedAgentTests.makePair(config: .simulated)
        sim.start(endOfCandidates: false)
        sim.isDropped = { _ in true }
        sim.run(until: .seconds(10))
        #expect(sim.a.state == .checking)
    }
}
