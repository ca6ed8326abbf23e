import NetworkPrimitives
import Testing
@testable import ICE

/// RFC 8445 §7.2.5.3.2: the valid pair a successful check builds has, as its local candidate,
/// the one whose address the response mapped. Behind a NAT that is the server-reflexive
/// candidate, and getStats reports it as the selected pair's local-candidate (found by the
/// NAT test, Tests/TincanCLITests/NATCallTests.swift: before, every direct pair behind a NAT
/// said "host").
@Suite struct ValidPairLocalCandidateTests {
    /// An agent with host 10.0.0.1:5000 and, from a STUN server's answer, srflx 203.0.113.7:40000.
    static func agentBehindNAT() throws -> (ICEAgentCore, host: ICECandidate, srflx: ICECandidate) {
        let a = try SimulatedAgentTests.agentAnsweredBySTUNServer(mapped: TransportAddress("203.0.113.7", port: 40000)!).agent
        let host = try #require(a.localCandidates.first { $0.type == .host })
        let srflx = try #require(a.localCandidates.first { $0.type == .serverReflexive })
        return (a, host, srflx)
    }

    @Test("a check answered with the srflx address makes a valid pair whose local candidate is the srflx one")
    func mappedToServerReflexive() throws {
        let (a, host, srflx) = try Self.agentBehindNAT()
        let remote = ICECandidate(foundation: "r", priority: 1, address: TransportAddress("198.51.100.2", port: 6000)!, type: .serverReflexive)
        let pair = CheckPair(id: 1, local: host, remote: remote, state: .inProgress)
        #expect(a.validLocalCandidate(of: pair, mapped: srflx.address) == srflx)
        // The pair still sends from its base: only the report changes.
        #expect(pair.publicPair.local == host && pair.publicPair.validLocal == host)
        // No NAT in between (or no mapped address): the host candidate itself.
        #expect(a.validLocalCandidate(of: pair, mapped: host.address) == host)
        #expect(a.validLocalCandidate(of: pair, mapped: nil) == host)
    }

    @Test("a mapped address no candidate has (a symmetric NAT's new mapping) is a peer-reflexive local candidate on the host's base")
    func mappedToNewAddress() throws {
        let (a, host, _) = try Self.agentBehindNAT()
        let remote = ICECandidate(foundation: "r", priority: 1, address: TransportAddress("198.51.100.2", port: 6000)!, type: .serverReflexive)
        let pair = CheckPair(id: 1, local: host, remote: remote, state: .inProgress)
        let mapped = TransportAddress("203.0.113.7", port: 40123)!
        let prflx = a.validLocalCandidate(of: pair, mapped: mapped)
        #expect(prflx.type == .peerReflexive && prflx.address == mapped && prflx.relatedAddress == host.address)
    }

    @Test("on a flat network the selected pair's valid local candidate is the host candidate (end to end, simulated)")
    func flatNetworkSelectsHost() {
        var sim = SimulatedAgentTests.makePair()
        sim.start()
        sim.run(until: .seconds(5)) { $0.bothConnected }
        #expect(sim.bothConnected)
        #expect(sim.a.selectedPair?.validLocal.type == .host && sim.a.selectedPair?.validLocal.address == sim.aAddress)
        #expect(sim.b.selectedPair?.validLocal.address == sim.bAddress)
    }
}
