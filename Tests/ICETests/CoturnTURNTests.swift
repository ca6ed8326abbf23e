import Foundation
import NetworkPrimitives
import Testing
import CoturnHarness
@testable import ICE

/// The TURN client against coturn over real UDP on 127.0.0.1 (RFC 8656): coturn started by
/// the test on a free port with a temporary configuration and one user, killed by its PID.
@Suite(.serialized) struct CoturnTURNTests {
    static let username = "tincan"
    static let password = "turn-secret"

    static func configuration(server port: UInt16, policy: ICETransportPolicy, transport: TURNTransport = .udp,
                              password: String = password, trusting certificate: String? = nil) -> ICEConfiguration {
        var c = UDPAgentTests.loopbackConfiguration()
        c.transportPolicy = policy
        c.turnServers = [TURNServer(address: TransportAddress("127.0.0.1", port: port)!, transport: transport,
                                    username: username, password: password, tlsServerName: certificate == nil ? nil : "localhost")]
        c.turnTLSTrustedCertificates = certificate.map { [$0] } ?? []
        // Generous retransmissions: the server may still be starting.
        c.turn.retransmissionTimeout = .milliseconds(100)
        c.turn.maximumRetransmissionTimeout = .milliseconds(400)
        c.turn.maximumTransmissions = 12
        return c
    }

    /// A relay-only agent and a host-only one: the relayed candidate is gathered, and the
    /// checks and data between them pass through coturn; to coturn over UDP, or over TCP
    /// (RFC 8656 §3.1, ChannelData padded to four bytes), or over TLS with coturn's
    /// self-signed certificate trusted (turns:).
    @Test(arguments: [TURNTransport.udp, .tcp, .tls])
    func relayOnlyAgentConnectsThroughCoturn(transport: TURNTransport) async throws {
        let turnserver = try CoturnServer.installed()
        let port = try await CoturnServer.freeUDPPort()
        // Over TCP, coturn takes no UDP from clients: the allocation can only be made over TCP.
        let server = try CoturnServer(executable: turnserver, turnPort: port, username: Self.username, password: Self.password,
                                      extra: transport == .udp ? [] : ["no-udp"], tls: transport == .tls)
        defer { server.stop() }
        let serverPort = transport == .tls ? port &+ 201 : port
        if transport != .udp { try await server.waitForTCP(port: serverPort) }

        let a = ICEAgent(role: .controlling, configuration: Self.configuration(
            server: serverPort, policy: .relay, transport: transport, trusting: transport == .tls ? server.certificatePath : nil))
        let b = ICEAgent(role: .controlled, configuration: UDPAgentTests.loopbackConfiguration())
        let ra = try await withTimeout(.seconds(10)) { try await a.gather() }
        let relayResult = try #require(ra.relayed.first, "no answer from coturn")
        let relay = try #require(relayResult.candidate, "coturn gave no relayed candidate: \(relayResult.error.map { "\($0)" } ?? "") \(server.log)")
        #expect(ra.candidates == [relay])
        #expect(relay.type == .relayed && relay.address.ip == IPAddress("127.0.0.1"))
        #expect(relay.address.port != serverPort)
        #expect(relay.sdpLine.contains("typ relay raddr 127.0.0.1"))

        let rb = try await b.gather()
        try await a.setRemoteCredentials(try await b.localCredentials)
        try await b.setRemoteCredentials(try await a.localCredentials)
        for c in rb.candidates { try await a.addRemoteCandidate(sdp: c.sdpLine) }
        try await b.addRemoteCandidate(sdp: relay.sdpLine)
        try await a.endOfRemoteCandidates()
        try await b.endOfRemoteCandidates()
        let (pa, pb) = try await UDPAgentTests.connectBoth(a, b)
        #expect(pa.local.type == .relayed && pa.local.address == relay.address)
        // B sees A only at coturn's relayed address: every check went through the relay.
        #expect(pb.remote.address == relay.address)
        // Data both ways, through the relay (B's datagram comes from the relayed address).
        try await UDPAgentTests.exchangeData(a, b)
        // More than one datagram: once the channel is bound, ChannelData carries them.
        // Sizes that need padding over TCP (101-120 bytes).
        for i in 0..<20 {
            try await a.send([0x80, 96, 0, UInt8(i)] + Array(repeating: 1, count: 97 + i))
        }
        let got = try await withTimeout(.seconds(5)) { () -> Int in
            var n = 0
            for await d in b.datagrams where d.source == relay.address {
                n += 1
                if n == 20 { break }
            }
            return n
        }
        #expect(got == 20)
        let stats = a.counters
        #expect(stats.unknownSourceDatagrams == 0 && stats.malformedSTUNMessages == 0)
        try await a.close()
        try await b.close()
    }

    /// turns: verifies the server's certificate: coturn's self-signed one, not trusted, ends
    /// the allocation before it starts.
    @Test func untrustedCertificateIsRefused() async throws {
        let turnserver = try CoturnServer.installed()
        let port = try await CoturnServer.freeUDPPort()
        let server = try CoturnServer(executable: turnserver, turnPort: port, username: Self.username, password: Self.password,
                                      extra: ["no-udp"], tls: true)
        defer { server.stop() }
        try await server.waitForTCP(port: port &+ 201)
        var configuration = Self.configuration(server: port &+ 201, policy: .relay, transport: .tls)
        configuration.turnServers[0].tlsServerName = "localhost"
        let a = ICEAgent(role: .controlling, configuration: configuration)
        let report = try await withTimeout(.seconds(10)) { try await a.gather() }
        try await a.close()
        #expect(report.candidates.isEmpty)
        #expect(report.relayed.first?.error == .connectionClosed)
    }

    @Test func wrongPasswordIsReported() async throws {
        let turnserver = try CoturnServer.installed()
        let port = try await CoturnServer.freeUDPPort()
        let server = try CoturnServer(executable: turnserver, turnPort: port, username: Self.username, password: Self.password)
        defer { server.stop() }
        let a = ICEAgent(role: .controlling, configuration: Self.configuration(server: port, policy: .relay, password: "wrong"))
        let report = try await withTimeout(.seconds(10)) { try await a.gather() }
        try await a.close()
        #expect(report.candidates.isEmpty)
        #expect(report.relayed.first?.error == .unauthorized)
    }
}
