import AsyncHTTPClient
import Foundation
import Signaling
import SignalingServer
import Testing

/// WHIP endpoints that survive bad offers (RFC 9725 §4.2: 400 with a reason) and answer
/// browsers on other origins (CORS), on `WHIPEndpoint` and on the server's `/whip/ROOM`.
@Suite(.timeLimit(.minutes(1))) struct WHIPHardeningTests {
    let answerSDP = "v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    let sdp = [("Content-Type", "application/sdp")]

    @Test("WHIPEndpoint: `hello`, an empty body and an SDP without media get 400 with the reason; the next real offer is served")
    func endpointSurvivesMalformedOffers() async throws {
        let endpoint = WHIPEndpoint(listen: HostPort(host: "127.0.0.1", port: 0), answerTimeout: .seconds(5))
        let port = try await endpoint.start()
        let url = "http://127.0.0.1:\(port)/whip"
        for (body, words) in [("hello", "starts with the line v=0"), ("", "empty"), ("v=0\r\ns=-\r\n", "no media section")] {
            let (status, _, text) = try await http(.POST, url, headers: sdp, body: body)
            #expect(status == 400, "\(body): \(status) \(text)")
            #expect(text.contains(words), "\(text)")
        }
        async let served: String = {
            let offer = try await endpoint.receiveOffer()
            try await endpoint.sendAnswer(answerSDP)
            return offer
        }()
        let client = try WHIPClient(endpoint: url)
        #expect(try await client.exchange(offer: sampleOffer) == answerSDP)
        #expect(try await served == sampleOffer, "the malformed POSTs never reached the receiver")
        try await endpoint.close()
    }

    @Test("WHIPEndpoint: an offer the receiver refuses gets 400 with its reason, and the endpoint takes the next offer")
    func receiverRefusesAnOffer() async throws {
        let endpoint = WHIPEndpoint(listen: HostPort(host: "127.0.0.1", port: 0), answerTimeout: .seconds(5))
        let port = try await endpoint.start()
        let url = "http://127.0.0.1:\(port)/whip"
        let receiver = Task {
            _ = try await endpoint.receiveOffer()
            #expect(try await endpoint.rejectOffer(reason: "no codec in common"))
            let second = try await endpoint.receiveOffer()
            try await endpoint.sendAnswer(answerSDP)
            return second
        }
        let (status, _, text) = try await http(.POST, url, headers: sdp, body: sampleOffer)
        #expect(status == 400 && text.contains("no codec in common"), "\(status) \(text)")
        let (again, headers, answer) = try await http(.POST, url, headers: sdp, body: sampleOffer)
        #expect(again == 201 && answer == answerSDP)
        #expect(headers.first(name: "Location")?.hasPrefix("/whip/") == true)
        #expect(try await receiver.value == sampleOffer)
        try await endpoint.close()
    }

    @Test("server /whip/ROOM: a malformed offer gets 400 and never reaches the room peer, which then answers a real one")
    func serverRefusesMalformedOffer() async throws {
        try await withServer { port in
            let peer = RawPeer(port: port)
            peer.send(.join(room: "desk", token: nil, role: .answerer))
            guard case .joined = try await peer.next() else { Issue.record("not joined"); return }
            let (status, _, text) = try await http(.POST, "http://127.0.0.1:\(port)/whip/desk", headers: sdp, body: "hello")
            #expect(status == 400 && text.contains("not an SDP offer"), "\(status) \(text)")
            async let post = http(.POST, "http://127.0.0.1:\(port)/whip/desk", headers: sdp, body: sampleOffer)
            guard case .peerJoined(let whip) = try await peer.next() else { Issue.record("no peer-joined"); return }
            #expect(try await peer.next() == .offer(sdp: sampleOffer, from: whip.id), "the first message is the real offer")
            peer.send(.answer(sdp: answerSDP, from: nil))
            let (created, _, answer) = try await post
            #expect(created == 201 && answer == answerSDP)
            await peer.close()
        }
    }

    /// The preflight a page's `fetch(url, {method: "POST", headers: {"Content-Type": "application/sdp", Authorization}})` makes.
    func preflight(_ url: String, origin: String) async throws -> (status: Int, headers: [String: String]) {
        let (status, headers, _) = try await http(.OPTIONS, url, headers: [
            ("Origin", origin), ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "authorization, content-type"),
        ])
        var map: [String: String] = [:]
        for h in headers { map[h.name.lowercased()] = h.value }
        return (status, map)
    }

    func checkCORS(base: String, answer: @escaping @Sendable () async throws -> Void) async throws {
        let (status, h) = try await preflight(base, origin: "https://page.example")
        #expect(status == 204)
        #expect(h["access-control-allow-origin"] == "*")
        let methods = h["access-control-allow-methods"] ?? "", allowed = (h["access-control-allow-headers"] ?? "").lowercased()
        #expect(methods.contains("POST") && methods.contains("DELETE"), "\(methods)")
        for name in ["authorization", "content-type", "if-match"] { #expect(allowed.contains(name), "\(allowed)") }
        let (sessionStatus, _) = try await preflight(base + "/some-session", origin: "https://page.example")
        #expect(sessionStatus == 204, "the session URL (DELETE) is preflighted too")
        async let answered: Void = answer()
        let (created, headers, _) = try await http(.POST, base, headers: sdp + [("Origin", "https://page.example")], body: sampleOffer)
        try await answered
        #expect(created == 201)
        #expect(headers.first(name: "Access-Control-Allow-Origin") == "*")
        let exposed = headers.first(name: "Access-Control-Expose-Headers") ?? ""
        for name in ["Location", "Link", "ETag"] { #expect(exposed.contains(name), "\(exposed)") }
    }

    @Test("CORS on WHIPEndpoint: preflight answered (Authorization, Content-Type, If-Match), Location/Link/ETag exposed; a list of origins echoes an allowed one and refuses others")
    func corsOnEndpoint() async throws {
        let endpoint = WHIPEndpoint(listen: HostPort(host: "127.0.0.1", port: 0), answerTimeout: .seconds(5))
        let port = try await endpoint.start()
        try await checkCORS(base: "http://127.0.0.1:\(port)/whip") {
            _ = try await endpoint.receiveOffer()
            try await endpoint.sendAnswer(answerSDP)
        }
        try await endpoint.close()

        let listed = WHIPEndpoint(listen: HostPort(host: "127.0.0.1", port: 0),
                                  corsPolicy: try CORSPolicy(parsing: "https://a.example, https://b.example"))
        let listedPort = try await listed.start()
        let (ok, h) = try await preflight("http://127.0.0.1:\(listedPort)/whip", origin: "https://b.example")
        #expect(ok == 204 && h["access-control-allow-origin"] == "https://b.example" && h["vary"] == "Origin")
        let (refused, h2) = try await preflight("http://127.0.0.1:\(listedPort)/whip", origin: "https://evil.example")
        #expect(refused == 403 && h2["access-control-allow-origin"] == nil)
        try await listed.close()
    }

    @Test("CORS on the server's /whip/ROOM, and --cors-origins none sends no CORS headers")
    func corsOnServer() async throws {
        try await withServer { port in
            let peer = try RoomClient(url: "ws://127.0.0.1:\(port)", room: "cors", timeout: .seconds(5))
            try await peer.join(role: .answerer)
            let answer = answerSDP
            try await checkCORS(base: "http://127.0.0.1:\(port)/whip/cors") {
                _ = try await peer.receiveOffer()
                try await peer.sendAnswer(answer)
            }
            try await peer.close()
        }
        let server = SignalServer(configuration: SignalServerConfiguration(
            listen: HostPort(host: "127.0.0.1", port: 0), corsPolicy: CORSPolicy(origins: .none)))
        let running = try await server.start()
        let (status, h) = try await preflight("http://127.0.0.1:\(running.port)/whip/x", origin: "https://page.example")
        #expect(status == 403 && h["access-control-allow-origin"] == nil)
        await running.stop()
    }

    @Test("--cors-origins parsing: *, none, a list; a path or an empty list is refused")
    func parsing() throws {
        #expect(try CORSPolicy(parsing: "*").origins == .any)
        #expect(try CORSPolicy(parsing: "none").origins == .none)
        #expect(try CORSPolicy(parsing: "https://a.example,http://localhost:3000").origins == .only(["https://a.example", "http://localhost:3000"]))
        #expect(throws: SignalingError.self) { try CORSPolicy(parsing: "https://a.example/") }
        #expect(throws: SignalingError.self) { try CORSPolicy(parsing: " , ") }
    }
}
