import CoturnHarness
import Foundation
import Testing

/// `tincan loopback` forced through a TURN relay (RFC 8656): coturn on 127.0.0.1, started by
/// the test with a user and a temporary configuration, and both peers on
/// `--ice-transport-policy relay`.
@Suite(.serialized) struct TURNLoopbackTests {
    @Test("tincan loopback --ice-server turn:127.0.0.1:PORT?transport=udp|tcp --ice-transport-policy relay: every check and packet through coturn, frames decoded",
          arguments: ["udp", "tcp"])
    func loopbackThroughCoturn(transport: String) async throws {
        let turnserver = try CoturnServer.installed()
        let port = try await CoturnServer.freeUDPPort()
        // Over TCP, coturn takes no UDP from clients.
        let server = try CoturnServer(executable: turnserver, turnPort: port, username: "tincan", password: "relay-me",
                                      extra: transport == "tcp" ? ["no-udp"] : [])
        defer { server.stop() }
        if transport == "tcp" { try await server.waitForTCP(port: port) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tincan-turn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let stats = dir.appendingPathComponent("stats.json")

        let r = try TincanBinary.run([
            "loopback", "--duration", "4", "--json", "--stats-json", stats.path,
            "--ice-server", "turn:127.0.0.1:\(port)?transport=\(transport)", "--ice-username", "tincan", "--ice-credential", "relay-me",
            "--ice-transport-policy", "relay",
        ])
        #expect(r.status == 0, "\(r.stderr)\n\(server.log)")
        let j = try #require(r.json, "no JSON report: \(r.stdout) \(r.stderr)")
        let sent = j["videoFramesSent"] as? Double ?? 0, decoded = j["videoFramesDecoded"] as? Double ?? 0
        #expect(sent >= 90, "sent \(sent) frames in 4 s from a 30 fps camera")
        #expect(decoded >= sent * 0.95)
        // 4 s of 20 ms Opus frames: 200, less the first moments of the call.
        #expect((j["audioFramesDecoded"] as? Double ?? 0) > 120)

        // Both peers' selected pairs join two relayed addresses of coturn (its relay ports
        // follow the listening port): nothing went directly between the peers.
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: stats)) as? [String: Any])
        for side in ["caller", "callee"] {
            let entries = report[side] as? [[String: Any]] ?? []
            let pair = try #require(entries.first { $0["type"] as? String == "candidate-pair" && $0["nominated"] as? Bool == true },
                                    "\(side): no nominated pair")
            let description = pair["description"] as? String ?? ""
            #expect(description.hasSuffix("(relay)"), "\(side): \(description)")
            let ports = description.split(whereSeparator: { $0 == " " || $0 == ":" }).compactMap { Int($0) }
            #expect(ports.count == 2 && ports.allSatisfy { $0 > Int(port) && $0 <= Int(port) + 200 }, "\(side): \(description)")
        }
    }

    @Test("--ice-transport-policy relay without a TURN server, and a TURN URL without credentials, are refused with the form to use")
    func refusedOptions() throws {
        let r = try TincanBinary.run(["loopback", "--ice-transport-policy", "relay"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--ice-server turn:HOST:PORT?transport=udp"), "\(r.stderr)")
        let noCredentials = try TincanBinary.run(["loopback", "--ice-server", "turn:127.0.0.1:3478"])
        #expect(noCredentials.status != 0)
        #expect(noCredentials.stderr.contains("username and a credential"), "\(noCredentials.stderr)")
        let badURL = try TincanBinary.run(["loopback", "--ice-server", "turn://127.0.0.1"])
        #expect(badURL.status != 0)
        #expect(badURL.stderr.contains("turn:HOST[:PORT][?transport=udp|tcp]"), "\(badURL.stderr)")
    }
}
