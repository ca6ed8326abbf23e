import Foundation
import Signaling
import SignalingServer
import Testing

/// The room server over real WebSocket connections on 127.0.0.1.
@Suite(.timeLimit(.minutes(1))) struct RoomServerTests {
    @Test("two RoomClients relay offer, answer, candidate and bye through the server, byte for byte")
    func relayThroughRoom() async throws {
        try await withServer { port in
            let offerer = try RoomClient(url: "ws://127.0.0.1:\(port)", room: "kitchen", timeout: .seconds(5))
            let answerer = try RoomClient(url: "ws://127.0.0.1:\(port)", room: "kitchen", timeout: .seconds(5))
            let answerSDP = "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=answer \u{00e9}\r\n"
            async let answered: String = {
                let offer = try await answerer.receiveOffer()
                try await answerer.sendAnswer(answerSDP)
                return offer
            }()
            let answer = try await offerer.exchange(offer: sampleOffer)
            #expect(answer == answerSDP)
            #expect(Array(answer.utf8) == Array(answerSDP.utf8))
            let offerSeen = try await answered
            #expect(Array(offerSeen.utf8) == Array(sampleOffer.utf8))

            let candidate = IceCandidateInit(candidate: "candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host", sdpMid: "0", sdpMLineIndex: 0)
            try offerer.send(candidate: candidate)
            var candidates = answerer.candidates.makeAsyncIterator()
            #expect(await candidates.next() == candidate)

            try await offerer.close()
            var byes = answerer.byes.makeAsyncIterator()
            let bye = await byes.next()
            #expect(bye != nil && bye?.from != nil)
            try await answerer.close()
        }
    }

    @Test("a third peer is refused with room-full and its connection closed; the two others stay")
    func thirdPeerRefused() async throws {
        try await withServer { port in
            let a = RawPeer(port: port), b = RawPeer(port: port), c = RawPeer(port: port)
            a.send(.join(room: "r", token: nil, role: .any))
            guard case .joined(_, let idA, let peersA) = try await a.next() else { Issue.record("a not joined"); return }
            #expect(peersA.isEmpty)
            b.send(.join(room: "r", token: nil, role: .answerer))
            guard case .joined(_, let idB, let peersB) = try await b.next() else { Issue.record("b not joined"); return }
            #expect(peersB == [PeerInfo(id: idA, role: .any)])
            #expect(try await a.next() == .peerJoined(PeerInfo(id: idB, role: .answerer)))
            c.send(.join(room: "r", token: nil, role: .any))
            guard case .error(let code, let message) = try await c.next() else { Issue.record("c was not refused"); return }
            #expect(code == "room-full")
            #expect(message.contains("full"))
            #expect(await c.waitForClose())
            // The room still works for the two.
            a.send(.offer(sdp: "v=0\r\n", from: nil))
            #expect(try await b.next() == .offer(sdp: "v=0\r\n", from: idA))
            await a.close(); await b.close()
        }
    }

    @Test("with --token, a join without it or with a wrong one is refused; the right one joins")
    func tokenRequired() async throws {
        try await withServer(token: "s3cret") { port in
            let none = try RoomClient(url: "ws://127.0.0.1:\(port)", room: "t", timeout: .seconds(5))
            do {
                try await none.join(role: .any)
                Issue.record("joined without the token")
            } catch let SignalingError.server(code, message) {
                #expect(code == "unauthorized")
                #expect(message.contains("token"))
            }
            let raw = RawPeer(port: port)
            raw.send(.join(room: "t", token: "wrong", role: .any))
            #expect(try await raw.next() == .error(code: "unauthorized", message: "the token is wrong"))
            #expect(await raw.waitForClose())

            let good = try RoomClient(url: "ws://127.0.0.1:\(port)", room: "t", token: "s3cret", timeout: .seconds(5))
            let joined = try await good.join(role: .any)
            #expect(joined.peers.isEmpty)
            try await good.close()
            try? await none.close()
        }
    }

    @Test("an oversize message gets a too-large error and a close; the server keeps serving others")
    func oversizeRefused() async throws {
        try await withServer(maxMessageBytes: 2048) { port in
            let other = RawPeer(port: port)
            other.send(.join(room: "calm", token: nil, role: .any))
            guard case .joined = try await other.next() else { Issue.record("not joined"); return }

            let big = RawPeer(port: port)
            big.send(.join(room: "big", token: nil, role: .any))
            guard case .joined = try await big.next() else { Issue.record("not joined"); return }
            big.send(.offer(sdp: String(repeating: "a=x\r\n", count: 1000), from: nil))
            guard case .error(let code, let message) = try await big.next() else { Issue.record("no error for 5 KB"); return }
            #expect(code == "too-large")
            #expect(message.contains("2048"))
            #expect(await big.waitForClose())

            // Others are still served: an error for nonsense, and a new peer can join "big".
            other.send("{")
            guard case .error(let c2, _) = try await other.next() else { Issue.record("server stopped answering"); return }
            #expect(c2 == "bad-json")
            let again = RawPeer(port: port)
            again.send(.join(room: "big", token: nil, role: .any))
            guard case .joined(_, _, let peers) = try await again.next() else { Issue.record("cannot rejoin"); return }
            #expect(peers.isEmpty, "the refused peer left the room")
            await other.close(); await again.close()
        }
    }

    @Test("bad JSON, an unknown type, a missing field and a relay before join each get an error; the connection stays open")
    func badMessages() async throws {
        try await withServer { port in
            let peer = RawPeer(port: port)
            peer.send("this is not json")
            guard case .error(let c1, _) = try await peer.next() else { Issue.record("no error"); return }
            #expect(c1 == "bad-json")
            peer.send(#"{"type":"dance"}"#)
            guard case .error(let c2, let m2) = try await peer.next() else { Issue.record("no error"); return }
            #expect(c2 == "unknown-type")
            #expect(!m2.contains("dance") && m2.contains("join"), "an error names the allowed types and does not quote the input: \(m2)")
            peer.send(#"{"type":"offer"}"#)
            guard case .error(let c3, let m3) = try await peer.next() else { Issue.record("no error"); return }
            #expect(c3 == "bad-message")
            #expect(m3.contains("sdp"))
            peer.send(.offer(sdp: "v=0\r\n", from: nil))
            guard case .error(let c4, _) = try await peer.next() else { Issue.record("no error"); return }
            #expect(c4 == "not-joined")
            peer.send(.join(room: "ok", token: nil, role: .any))
            guard case .joined = try await peer.next() else { Issue.record("not joined after errors"); return }
            peer.send(.offer(sdp: "v=0\r\n", from: nil))
            guard case .error(let c5, _) = try await peer.next() else { Issue.record("no error"); return }
            #expect(c5 == "no-peer")
            await peer.close()
        }
    }

    @Test("the page is served at / as text/html and speaks the /ws protocol with getUserMedia")
    func webPage() async throws {
        try await withServer { port in
            let (status, headers, body) = try await http(.GET, "http://127.0.0.1:\(port)/?room=abc")
            #expect(status == 200)
            #expect(headers.first(name: "Content-Type") == "text/html; charset=utf-8")
            #expect(body.contains("const WS_PATH = \"\(SignalServerPaths.webSocket)\""))
            #expect(body.contains("getUserMedia") && body.contains("RTCPeerConnection"))
            #expect(body.contains("\"join\"") && body.contains("\"answer\"") && body.contains("\"offer\""))
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct RoomRoleTests {
    @Test("two offerers in one room are told at once instead of waiting for answers forever")
    func twoOfferers() async throws {
        try await withServer { port in
            let a = try RoomClient(url: "ws://127.0.0.1:\(port)", room: "glare", timeout: .seconds(5))
            let b = try RoomClient(url: "ws://127.0.0.1:\(port)", room: "glare", timeout: .seconds(5))
            try await a.join(role: .offerer)
            do {
                _ = try await b.exchange(offer: "v=0\r\n")
                Issue.record("two offerers exchanged")
            } catch let SignalingError.server(code, message) {
                #expect(code == "glare")
                #expect(message.contains("also offers"))
            }
            try await a.close(); try await b.close()
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct RoomConnectionTests {
    @Test("when the server goes away, RoomClient's waits and sends throw connection-closed instead of hanging or pretending")
    func serverGoesAway() async throws {
        let running = try await SignalServer(configuration: SignalServerConfiguration(listen: HostPort(host: "127.0.0.1", port: 0))).start()
        let client = try RoomClient(url: "ws://127.0.0.1:\(running.port)", room: "gone", timeout: .seconds(10))
        try await client.join(role: .answerer)
        let waiting = Task { try await client.receiveOffer() }
        await running.stop()
        await #expect(throws: SignalingError.self) { _ = try await waiting.value }
        #expect(throws: SignalingError.self) { try client.send(candidate: IceCandidateInit(candidate: "candidate:x")) }
        try await client.close()
    }

    @Test("a server that is not there gives connection-closed naming the URL")
    func noServer() async throws {
        // Bind and release a port so that nothing listens on it.
        let running = try await SignalServer(configuration: SignalServerConfiguration(listen: HostPort(host: "127.0.0.1", port: 0))).start()
        let port = running.port
        await running.stop()
        let client = try RoomClient(url: "ws://127.0.0.1:\(port)", room: "x", timeout: .seconds(5))
        do {
            try await client.join(role: .any)
            Issue.record("joined a server that is not there")
        } catch let SignalingError.connectionClosed(detail) {
            #expect(detail.contains("127.0.0.1:\(port)"))
        }
        try await client.close()
    }
}

@Suite(.timeLimit(.minutes(1))) struct RoomLimitTests {
    @Test("a bad room name is refused (the connection stays), and past --max-rooms a new room is refused with server-full")
    func limits() async throws {
        let running = try await SignalServer(configuration: SignalServerConfiguration(
            listen: HostPort(host: "127.0.0.1", port: 0), maxRooms: 1)).start()
        let port = running.port
        let a = RawPeer(port: port)
        a.send(.join(room: "no spaces", token: nil, role: .any))
        guard case .error(let code, _) = try await a.next() else { Issue.record("bad room accepted"); await running.stop(); return }
        #expect(code == "bad-room")
        a.send(.join(room: "one", token: nil, role: .any))
        guard case .joined = try await a.next() else { Issue.record("not joined"); await running.stop(); return }
        let b = RawPeer(port: port)
        b.send(.join(room: "two", token: nil, role: .any))
        #expect(try await b.next() == .error(code: "server-full", message: "the server is at its limit of 1 rooms; try again later"))
        let c = RawPeer(port: port)
        c.send(.join(room: "one", token: nil, role: .any))
        guard case .joined = try await c.next() else { Issue.record("an existing room refused"); await running.stop(); return }
        await a.close(); await b.close(); await c.close()
        await running.stop()
    }
}
