import Foundation
import NetworkPrimitives
import Testing
import CoturnHarness
import NIOCore
import NIOPosix
@testable import ICE

/// Gathering against a real STUN server: Debian's coturn (`turnserver`), started on
/// 127.0.0.1 by the test and killed by its PID.
@Suite struct CoturnTests {
    @Test func serverReflexiveCandidateFromCoturn() async throws {
        let turnserver = try CoturnServer.installed()
        let port = try await CoturnServer.freeUDPPort()
        let server = try CoturnServer(executable: turnserver, port: port)
        defer { server.stop() }

        var configuration = ICEConfiguration.fastForTesting
        configuration.restrictToAddresses = [IPAddress("127.0.0.1")!]
        configuration.stunServers = [TransportAddress("127.0.0.1", port: port)!]
        // Generous retransmissions: the server may still be starting.
        configuration.retransmissionTimeout = .milliseconds(100)
        configuration.maximumRetransmissionTimeout = .milliseconds(400)
        configuration.maximumTransmissions = 12
        let agent = ICEAgent(role: .controlling, configuration: configuration)
        let report = try await withTimeout(.seconds(10)) { try await agent.gather() }
        try await agent.close()

        let host = try #require(report.candidates.first { $0.type == .host })
        let result = try #require(report.serverReflexive.first)
        #expect(result.server == TransportAddress("127.0.0.1", port: port))
        #expect(result.base == host.address)
        let srflx = try #require(result.candidate, "coturn did not answer the Binding request")
        // On loopback the mapped address is the base itself: redundant, so not signaled.
        #expect(srflx.type == .serverReflexive)
        #expect(srflx.address == host.address)
        #expect(srflx.relatedAddress == host.address)
        #expect(result.redundant)
        #expect(!report.candidates.contains { $0.type == .serverReflexive })
        #expect(srflx.sdpLine.contains("typ srflx raddr 127.0.0.1 rport \(host.address.port)"))
    }
}
