import AsyncHTTPClient
import Foundation
import Signaling
import SignalingServer
import Testing

/// WHIP (RFC 9725) per room on the server, and WHIPClient against WHIPEndpoint.
@Suite(.timeLimit(.minutes(1))) struct WHIPTests {
    let answerSDP = "v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

    @Test("POST /whip/R: the room peer receives the offer, its answer comes back as 201 with Location and application/sdp; DELETE sends the peer bye")
    func postRelaysToRoomPeer() async throws {
        try await withServer { port in
            let peer = try RoomClient(url: "ws://127.0.0.1:\(port)", room: "stage", timeout: .seconds(5))
            try await peer.join(role: .any)
            async let offerSeen: String = {
                let offer = try await peer.receiveOffer()
                try await peer.sendAnswer(answerSDP)
                return offer
            }()
            let (status, headers, body) = try await http(.POST, "http://127.0.0.1:\(port)/whip/stage",
                                                         headers: [("Content-Type", "application/sdp")], body: sampleOffer)
            #expect(status == 201, "\(body)")
            #expect(headers.first(name: "Content-Type") == "application/sdp")
            let location = headers.first(name: "Location") ?? ""
            #expect(location.hasPrefix("/whip/stage/") && location.count > "/whip/stage/".count)
            #expect(body == answerSDP)
            #expect(try await offerSeen == sampleOffer)

            let (deleteStatus, _, _) = try await http(.DELETE, "http://127.0.0.1:\(port)\(location)")
            #expect(deleteStatus == 200)
            var byes = peer.byes.makeAsyncIterator()
            let bye = await byes.next()
            #expect(bye?.from?.hasPrefix("whip-") == true)
            let (again, _, _) = try await http(.DELETE, "http://127.0.0.1:\(port)\(location)")
            #expect(again == 404)
            try await peer.close()
        }
    }

    @Test("WHIPClient against the server's room endpoint: exchange, then close() DELETEs and the peer hears bye")
    func whipClientToRoom() async throws {
        try await withServer(token: "tok") { port in
            let peer = try RoomClient(url: "ws://127.0.0.1:\(port)", room: "w", token: "tok", timeout: .seconds(5))
            try await peer.join(role: .answerer)
            async let served: Void = {
                _ = try await peer.receiveOffer()
                try await peer.sendAnswer(answerSDP)
            }()
            let noToken = try WHIPClient(endpoint: "http://127.0.0.1:\(port)/whip/w")
            await #expect(throws: SignalingError.http(status: 401, body: "this server needs a bearer token: Authorization: Bearer TOKEN\n")) {
                _ = try await noToken.exchange(offer: sampleOffer)
            }
            let client = try WHIPClient(endpoint: "http://127.0.0.1:\(port)/whip/w", bearerToken: "tok")
            #expect(try await client.exchange(offer: sampleOffer) == answerSDP)
            try await served
            #expect(client.sessionURL?.absoluteString.hasPrefix("http://127.0.0.1:\(port)/whip/w/") == true)
            try await client.close()
            var byes = peer.byes.makeAsyncIterator()
            #expect(await byes.next() != nil)
            try await peer.close()
        }
    }

    @Test("a WHIP POST with another Content-Type is refused with 415")
    func wrongContentType() async throws {
        try await withServer { port in
            let (status, _, body) = try await http(.POST, "http://127.0.0.1:\(port)/whip/x", headers: [("Content-Type", "application/json")], body: "{}")
            #expect(status == 415)
            #expect(body.contains("application/sdp"))
        }
    }

    @Test("a WHIP POST to a room without a peer gets 404 naming the room; WHIPClient says so")
    func noPeer() async throws {
        try await withServer { port in
            let (status, _, body) = try await http(.POST, "http://127.0.0.1:\(port)/whip/empty", headers: [("Content-Type", "application/sdp")], body: sampleOffer)
            #expect(status == 404)
            #expect(body.contains("no peer is waiting in room empty"))
            let client = try WHIPClient(endpoint: "http://127.0.0.1:\(port)/whip/empty")
            do {
                _ = try await client.exchange(offer: sampleOffer)
                Issue.record("an exchange without a peer succeeded")
            } catch let SignalingError.http(status, body) {
                #expect(status == 404 && body.contains("empty"))
            }
        }
    }

    @Test("a room peer that never answers makes the WHIP POST end in 504, and the peer is told bye")
    func answerTimeout() async throws {
        try await withServer(whipTimeout: .milliseconds(500)) { port in
            let peer = RawPeer(port: port)
            peer.send(.join(room: "slow", token: nil, role: .answerer))
            guard case .joined = try await peer.next() else { Issue.record("not joined"); return }
            let (status, _, body) = try await http(.POST, "http://127.0.0.1:\(port)/whip/slow", headers: [("Content-Type", "application/sdp")], body: sampleOffer)
            #expect(status == 504)
            #expect(body.contains("did not answer"))
            guard case .peerJoined(let whip) = try await peer.next() else { Issue.record("no peer-joined"); return }
            #expect(whip.role == .offerer)
            #expect(try await peer.next() == .offer(sdp: sampleOffer, from: whip.id))
            guard case .bye(_, let from) = try await peer.next() else { Issue.record("no bye"); return }
            #expect(from == whip.id)
            await peer.close()
        }
    }

    @Test("WHIPClient against WHIPEndpoint end to end: offer in, answer out, 201 + Location, DELETE observed")
    func clientAgainstEndpoint() async throws {
        let endpoint = WHIPEndpoint(listen: HostPort(host: "127.0.0.1", port: 0), bearerToken: "k", answerTimeout: .seconds(5))
        let port = try await endpoint.start()
        #expect(port > 0)
        #expect(endpoint.endpointURL == "http://127.0.0.1:\(port)/whip")
        async let served: String = {
            let offer = try await endpoint.receiveOffer()
            try await endpoint.sendAnswer(answerSDP)
            return offer
        }()
        let client = try WHIPClient(endpoint: "http://127.0.0.1:\(port)/whip", bearerToken: "k")
        #expect(try await client.exchange(offer: sampleOffer) == answerSDP)
        #expect(try await served == sampleOffer)
        #expect(client.sessionURL?.path.hasPrefix("/whip/") == true)
        // A second POST while the session lives: 409.
        let (busy, _, _) = try await http(.POST, "http://127.0.0.1:\(port)/whip", headers: [("Content-Type", "application/sdp"), ("Authorization", "Bearer k")], body: sampleOffer)
        #expect(busy == 409)
        try await client.close()
        try await endpoint.ended()
        try await endpoint.close()
    }
}
