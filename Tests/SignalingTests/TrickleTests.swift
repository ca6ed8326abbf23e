import Foundation
import Hummingbird
import NIOCore
import Signaling
import SignalingServer
import Synchronization
import Testing

/// The body of RFC 8840 §4.4's INFO example (two sections, credentials at session level).
let rfc8840Fragment = """
    a=ice-pwd:asd88fgpdd777uzjYhagZg\r
    a=ice-ufrag:8hhY\r
    m=audio 5000 RTP/AVP 0\r
    a=mid:1\r
    a=candidate:1 1 UDP 1658497328 192.0.2.1 5000 typ host\r
    a=candidate:1 2 UDP 1658497328 192.0.2.1 5001 typ host\r
    m=audio 5002 RTP/AVP 0\r
    a=mid:2\r
    a=candidate:1 1 UDP 1658497328 192.0.2.1 5002 typ host\r
    a=candidate:1 2 UDP 1658497328 192.0.2.1 5003 typ host\r
    a=end-of-candidates\r

    """

/// A trickle body shaped like RFC 9725 §4.3.2's example: BUNDLE, credentials at media level.
let rfc9725Fragment = """
    a=group:BUNDLE 0 1\r
    m=audio 9 UDP/TLS/RTP/SAVPF 111\r
    a=mid:0\r
    a=ice-ufrag:EsAw\r
    a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r
    a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1\r
    a=candidate:3471623853 1 udp 2122194687 198.51.100.2 61765 typ host generation 0 ufrag EsAw network-id 2\r
    a=candidate:473322822 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active generation 0 ufrag EsAw network-id 1\r
    a=end-of-candidates\r

    """

/// Two candidates that are not in `sampleOffer` (its are 192.0.2.10-21).
let lateCandidates = [
    "candidate:2000001 1 udp 1686052607 203.0.113.7 40001 typ srflx raddr 192.0.2.10 rport 50000",
    "candidate:2000002 1 udp 41885439 198.51.100.9 3478 typ relay raddr 203.0.113.7 rport 40001",
]

/// RFC 8840 fragments: parsed, built, refused.
@Suite struct TrickleFragmentTests {
    @Test("RFC 8840's example parses: session credentials, two sections with their mids and candidates, end-of-candidates in the last")
    func parsesRFC8840Example() throws {
        let f = try TrickleICEFragment(parsing: rfc8840Fragment)
        #expect(f.iceUfrag == "8hhY" && f.icePwd == "asd88fgpdd777uzjYhagZg")
        #expect(f.mediaSections.map(\.media) == ["audio 5000 RTP/AVP 0", "audio 5002 RTP/AVP 0"])
        #expect(f.mediaSections.map(\.mid) == ["1", "2"])
        #expect(f.mediaSections[0].candidates == ["candidate:1 1 UDP 1658497328 192.0.2.1 5000 typ host",
                                                  "candidate:1 2 UDP 1658497328 192.0.2.1 5001 typ host"])
        #expect(f.mediaSections[1].candidates.count == 2)
        #expect(!f.mediaSections[0].endOfCandidates && f.mediaSections[1].endOfCandidates)
        #expect(!f.endsCandidates, "the first section did not end")
        #expect(f.allCandidates.map(\.mid) == ["1", "1", "2", "2"])
        #expect(f.credentials(of: f.mediaSections[1]) == ("8hhY", "asd88fgpdd777uzjYhagZg"))
    }

    @Test("RFC 9725's example parses: media-level credentials, a=group skipped, end-of-candidates ends the one section")
    func parsesRFC9725Example() throws {
        let f = try TrickleICEFragment(parsing: rfc9725Fragment)
        #expect(f.iceUfrag == nil)
        #expect(f.mediaSections.count == 1)
        #expect(f.credentials(of: f.mediaSections[0]) == ("EsAw", "P2uYro0UCOQ4zxjKXaWCBui1"))
        #expect(f.mediaSections[0].candidates.count == 3)
        #expect(f.endsCandidates)
    }

    @Test("the client's fragment is RFC 8840's first section, line for line: ufrag, pwd, m=, a=mid, candidates, end-of-candidates, CRLF")
    func clientFormat() throws {
        let offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:8hhY\r\na=ice-pwd:asd88fgpdd777uzjYhagZg\r\n"
            + "m=audio 5000 RTP/AVP 0\r\na=mid:1\r\na=rtpmap:0 PCMU/8000\r\nm=video 5002 RTP/AVP 96\r\na=mid:2\r\n"
        let identity = try #require(TrickleICEFragment.DescriptionIdentity(description: offer))
        #expect(identity.media == "audio 5000 RTP/AVP 0" && identity.mid == "1")
        let built = TrickleICEFragment(identity: identity,
                                       candidates: ["a=candidate:1 1 UDP 1658497328 192.0.2.1 5000 typ host",
                                                    "candidate:1 2 UDP 1658497328 192.0.2.1 5001 typ host"],
                                       endOfCandidates: true)
        let text = built.serialized()
        #expect(text == "a=ice-ufrag:8hhY\r\na=ice-pwd:asd88fgpdd777uzjYhagZg\r\nm=audio 5000 RTP/AVP 0\r\na=mid:1\r\n"
            + "a=candidate:1 1 UDP 1658497328 192.0.2.1 5000 typ host\r\na=candidate:1 2 UDP 1658497328 192.0.2.1 5001 typ host\r\n"
            + "a=end-of-candidates\r\n")
        // The same section as the RFC's, read back.
        let example = try TrickleICEFragment(parsing: rfc8840Fragment)
        let reread = try TrickleICEFragment(parsing: text)
        #expect(reread.mediaSections[0].candidates == example.mediaSections[0].candidates)
        #expect(reread.mediaSections[0].media == example.mediaSections[0].media && reread.mediaSections[0].mid == "1")
        #expect(reread.iceUfrag == example.iceUfrag && reread.icePwd == example.icePwd)
        #expect(reread == built)
    }

    @Test("a description's identity: the first section's credentials, m= line and mid, its candidates, whether it was complete")
    func identityOfOffer() throws {
        let identity = try #require(TrickleICEFragment.DescriptionIdentity(description: sampleOffer))
        #expect(identity.iceUfrag == "Xq7/" && identity.icePwd == "Wc8kMHoI2eKk0NlWHqRfK1M3")
        #expect(identity.media == "audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126" && identity.mid == "0")
        #expect(identity.candidates.count == 12 && !identity.endOfCandidates)
        #expect(TrickleICEFragment.DescriptionIdentity(description: "v=0\r\ns=-\r\n") == nil)
    }

    @Test("garbage is an error with a reason, never a trap", arguments: [
        ("", "empty"), ("hello", "not an SDP line"), ("a=ice-ufrag:8hhY\r\n", "no a=candidate"),
        ("a=candidate:1 1 UDP 1 192.0.2.1 5000 typ host\r\n", "before any m= line"),
        ("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=candidate:1 1 UDP\r\n", "fewer than 8 fields"),
        ("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=candidate:1 1 UDP 1 192.0.2.1 99999 typ host\r\n", "port"),
        ("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=candidate:1 1 UDP 1 192.0.2.1 5 kind host\r\n", "typ"),
        ("a=ice-ufrag:a b\r\nm=audio 9 X 1\r\na=end-of-candidates\r\n", "ice-chars"),
        ("m=audio\r\na=end-of-candidates\r\n", "media, port and proto"),
        ("m=audio 9 X 1\r\na=mid:\r\n", "a=mid needs a value"),
        ("m=audio 9 X 1\r\na=end-of-candidates\u{0}\r\n", "printable ASCII"),
    ])
    func refusesGarbage(body: String, reason: String) {
        #expect {
            _ = try TrickleICEFragment(parsing: body)
        } throws: { error in
            (error as? TrickleICEFragment.ParseError)?.reason.contains(reason) == true
        }
    }

    @Test("10 000 mutations of a valid fragment (bytes flipped, cut, repeated) parse or throw, never trap")
    func mutationsNeverTrap() {
        var rng = SplitMix64(seed: 9725)
        let base = Array(rfc9725Fragment.utf8)
        var parsed = 0, refused = 0
        for _ in 0..<10_000 {
            var bytes = base
            for _ in 0..<Int(rng.next() % 4 + 1) {
                let i = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.removeSubrange(i..<min(bytes.count, i + Int(rng.next() % 40)))
                default: bytes.insert(contentsOf: bytes[i..<min(bytes.count, i + 30)], at: i)
                }
                if bytes.isEmpty { bytes = [0x61] }
            }
            if (try? TrickleICEFragment(parsing: String(decoding: bytes, as: UTF8.self))) != nil { parsed += 1 } else { refused += 1 }
        }
        #expect(parsed > 0 && refused > 0, "parsed \(parsed), refused \(refused)")
    }
}

/// A seeded generator, so a failing mutation repeats.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Trickle ICE over WHIP PATCH (RFC 9725 §4.3) and through rooms, on loopback.
@Suite(.timeLimit(.minutes(1))) struct TrickleTests {
    let answerSDP = "v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

    /// The next `count` values of a stream (nil: it ended first).
    func take<T: Sendable>(_ count: Int, from stream: AsyncStream<T>) async -> [T]? {
        var out: [T] = []
        for await value in stream {
            out.append(value)
            if out.count == count { return out }
        }
        return nil
    }

    /// A WHIPEndpoint with a WHIPClient's session on it.
    func withSession(_ body: (WHIPEndpoint, WHIPClient, Int) async throws -> Void) async throws {
        let endpoint = WHIPEndpoint(listen: HostPort(host: "127.0.0.1", port: 0), answerTimeout: .seconds(5))
        let port = try await endpoint.start()
        async let served: Void = {
            _ = try await endpoint.receiveOffer()
            try await endpoint.sendAnswer(answerSDP)
        }()
        let client = try WHIPClient(endpoint: "http://127.0.0.1:\(port)/whip")
        // Gathered while the POST is in flight (before the session URL exists): queued.
        client.trickle(candidate: lateCandidates[0])
        _ = try await client.exchange(offer: sampleOffer)
        try await served
        try await body(endpoint, client, port)
        try await client.close()
        try await endpoint.close()
    }

    @Test("WHIPEndpoint: 201 has an ETag and Accept-Patch; the client's candidates (one queued during the POST), end-of-candidates, not the offer's own, reach remoteCandidates")
    func endpointTakesPatch() async throws {
        try await withSession { endpoint, client, _ in
            #expect(client.entityTag?.hasPrefix("\"") == true)
            client.trickle(candidate: "a=candidate:1000003 1 udp 2122260220 192.0.2.13 50003 typ host generation 0 network-id 4")  // in the offer
            client.trickle(candidate: lateCandidates[1])
            client.trickleEndOfCandidates()
            await client.trickleDrained()
            let got = await take(3, from: endpoint.remoteCandidates)
            #expect(got == [lateCandidates[0], lateCandidates[1], nil])
            let counts = client.trickleCounts
            #expect(counts.sent == 2 && counts.alreadyInDescription == 1 && counts.endOfCandidatesSent && counts.dropped == 0, "\(counts)")
            #expect(endpoint.remoteTrickle == .init(candidates: 2, endOfCandidates: true, ignored: 0))
        }
    }

    @Test("WHIPEndpoint PATCH refusals: 400 garbage, 404 unknown session, 412 stale If-Match, 415 other type, 422 other ufrag; 204 with the right tag")
    func endpointRefusals() async throws {
        try await withSession { endpoint, client, port in
            let url = try #require(client.sessionURL).absoluteString
            let tag = try #require(client.entityTag)
            let frag = [("Content-Type", TrickleICEFragment.mediaType)]
            await client.trickleDrained()  // the candidate queued during the POST
            let good = "a=ice-ufrag:Xq7/\r\na=ice-pwd:Wc8kMHoI2eKk0NlWHqRfK1M3\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=\(lateCandidates[1])\r\n"

            let garbage = try await http(.PATCH, url, headers: frag + [("If-Match", tag)], body: "hello")
            #expect(garbage.status == 400 && garbage.body.contains("not a trickle-ice-sdpfrag"), "\(garbage)")
            let unknown = try await http(.PATCH, "http://127.0.0.1:\(port)/whip/nope", headers: frag, body: good)
            #expect(unknown.status == 404)
            let stale = try await http(.PATCH, url, headers: frag + [("If-Match", "\"old\"")], body: good)
            #expect(stale.status == 412, "\(stale)")
            let weak = try await http(.PATCH, url, headers: frag + [("If-Match", "W/" + tag)], body: good)
            #expect(weak.status == 412, "a weak tag never matches (RFC 9110 §13.1.1)")
            let json = try await http(.PATCH, url, headers: [("Content-Type", "application/json")], body: "{}")
            #expect(json.status == 415 && json.headers.first(name: "Accept-Patch") == TrickleICEFragment.mediaType)
            let restart = try await http(.PATCH, url, headers: frag + [("If-Match", "*")],
                                         body: good.replacingOccurrences(of: "Xq7/", with: "New1"))
            #expect(restart.status == 422, "\(restart)")
            #expect(endpoint.remoteTrickle.candidates == 1, "nothing refused was delivered")

            let taken = try await http(.PATCH, url, headers: frag + [("If-Match", "\"x\", " + tag)], body: good)
            #expect(taken.status == 204, "\(taken)")
            #expect(await take(2, from: endpoint.remoteCandidates) == lateCandidates)
        }
    }

    @Test("a WHIP endpoint that answers PATCH with 405: one PATCH, then the client stops (later candidates counted as dropped, no more requests)")
    func clientStopsOn405() async throws {
        final class Count: Sendable { let value = Atomic<Int>(0) }
        let patches = Count()
        let router = Router()
        router.post("/whip") { _, _ -> Response in
            Response(status: .created, headers: [.contentType: "application/sdp", .location: "/whip/s1"],
                     body: .init(byteBuffer: ByteBuffer(string: answerSDP)))
        }
        router.patch("/whip/s1") { _, _ -> Response in
            patches.value.wrappingAdd(1, ordering: .relaxed)
            return Response(status: .methodNotAllowed, headers: [.allow: "DELETE"])
        }
        router.delete("/whip/s1") { _, _ -> Response in Response(status: .ok) }
        let server = try await BackgroundServer.start { onRunning in
            Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), onServerRunning: onRunning)
        }
        let client = try WHIPClient(endpoint: "http://127.0.0.1:\(server.port)/whip")
        _ = try await client.exchange(offer: sampleOffer)
        #expect(client.entityTag == nil)
        client.trickle(candidate: lateCandidates[0])
        await client.trickleDrained()
        client.trickle(candidate: lateCandidates[1])
        client.trickleEndOfCandidates()
        await client.trickleDrained()
        #expect(patches.value.load(ordering: .relaxed) == 1)
        let counts = client.trickleCounts
        #expect(counts.sent == 0 && counts.dropped == 2 && !counts.endOfCandidatesSent, "\(counts)")
        try await client.close()
        await server.stop()
    }

    @Test("tincan-signal relays a WHIP client's PATCH into the room: the room peer gets candidate messages (from whip-…, sdpMid 0) and end-of-candidates; refusals 400/404/412/422")
    func serverRelaysPatch() async throws {
        try await withServer { port in
            let peer = RawPeer(port: port)
            peer.send(.join(room: "trickle", token: nil, role: .answerer))
            guard case .joined = try await peer.next() else { Issue.record("no joined"); return }
            let client = try WHIPClient(endpoint: "http://127.0.0.1:\(port)/whip/trickle")
            client.trickle(candidate: lateCandidates[0])  // during the POST: held for its answer
            async let answered = client.exchange(offer: sampleOffer)
            guard case .peerJoined(let whip) = try await peer.next() else { Issue.record("no peer-joined"); return }
            #expect(try await peer.next() == .offer(sdp: sampleOffer, from: whip.id))
            peer.send(.answer(sdp: answerSDP, from: nil))
            #expect(try await answered == answerSDP)
            client.trickle(candidate: lateCandidates[1])
            client.trickleEndOfCandidates()
            await client.trickleDrained()
            #expect(try await peer.next() == .candidate(IceCandidateInit(candidate: lateCandidates[0], sdpMid: "0"), from: whip.id))
            #expect(try await peer.next() == .candidate(IceCandidateInit(candidate: lateCandidates[1], sdpMid: "0"), from: whip.id))
            #expect(try await peer.next() == .endOfCandidates(from: whip.id))
            #expect(client.trickleCounts.sent == 2)

            let url = try #require(client.sessionURL).absoluteString
            let tag = try #require(client.entityTag)
            let frag = [("Content-Type", TrickleICEFragment.mediaType)]
            let body = "a=ice-ufrag:Xq7/\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=\(lateCandidates[0])\r\n"
            #expect(try await http(.PATCH, url, headers: frag + [("If-Match", tag)], body: "a=candidate:x").status == 400)
            #expect(try await http(.PATCH, url + "x", headers: frag, body: body).status == 404)
            #expect(try await http(.PATCH, url, headers: frag + [("If-Match", "\"stale\"")], body: body).status == 412)
            #expect(try await http(.PATCH, url, headers: frag, body: body.replacingOccurrences(of: "Xq7/", with: "Zz99")).status == 422)
            // After end-of-candidates a candidate is ignored (RFC 8838 §13): 204, nothing relayed.
            #expect(try await http(.PATCH, url, headers: frag + [("If-Match", tag)], body: body).status == 204)
            try await client.close()
            guard case .bye(_, let from) = try await peer.next() else { Issue.record("no bye after the DELETE"); return }
            #expect(from == whip.id, "the ignored candidate was not relayed before the bye")
            await peer.close()
        }
    }

    @Test("a room call: each side's trickled candidates reach the other after its description (held while it was not out), not those the description carried, then end-of-candidates")
    func roomCallTrickles() async throws {
        try await withServer { port in
            let answerer = try RoomClient(url: "ws://127.0.0.1:\(port)", room: "call", timeout: .seconds(5))
            let offerer = try RoomClient(url: "ws://127.0.0.1:\(port)", room: "call", timeout: .seconds(5))
            // Gathered before anything was sent (today's RTCPeerConnection: before createOffer returns).
            offerer.trickle(candidate: lateCandidates[0])
            offerer.trickle(candidate: "candidate:1000000 1 udp 2122260223 192.0.2.10 50000 typ host generation 0 network-id 1")  // in the offer
            offerer.trickleEndOfCandidates()
            async let offered: String = answerer.receiveOffer()
            async let answered: String = offerer.exchange(offer: sampleOffer)
            #expect(try await offered == sampleOffer)
            answerer.trickle(candidate: lateCandidates[1])  // before the answer: held
            try await answerer.sendAnswer(answerSDP)
            answerer.trickleEndOfCandidates()
            #expect(try await answered == answerSDP)

            let atAnswerer = await take(2, from: answerer.candidates)
            #expect(atAnswerer?.map(\.candidate) == [lateCandidates[0], ""], "a candidate, then end-of-candidates as an empty one")
            #expect(atAnswerer?.first?.sdpMid == "0" && atAnswerer?.first?.sdpMLineIndex == 0)
            let atOfferer = await take(2, from: offerer.candidates)
            #expect(atOfferer?.map(\.candidate) == [lateCandidates[1], ""])
            #expect(atOfferer?.first?.sdpMid == nil, "the answer has no m= line here: no mid to give")
            let counts = offerer.trickleCounts
            #expect(counts.sent == 1 && counts.alreadyInDescription == 1 && counts.endOfCandidatesSent, "\(counts)")
            try await offerer.close()
            try await answerer.close()
        }
    }

    @Test("a room peer sees its offer before the candidates trickled early, in order (raw messages)")
    func heldCandidatesFollowTheOffer() async throws {
        try await withServer { port in
            let peer = RawPeer(port: port)
            peer.send(.join(room: "order", token: nil, role: .answerer))
            guard case .joined = try await peer.next() else { Issue.record("no joined"); return }
            let offerer = try RoomClient(url: "ws://127.0.0.1:\(port)", room: "order", timeout: .seconds(5))
            for c in lateCandidates { offerer.trickle(candidate: c) }
            offerer.trickleEndOfCandidates()
            async let answered = offerer.exchange(offer: sampleOffer)
            guard case .peerJoined(let other) = try await peer.next() else { Issue.record("no peer-joined"); return }
            #expect(try await peer.next() == .offer(sdp: sampleOffer, from: other.id))
            #expect(try await peer.next() == .candidate(IceCandidateInit(candidate: lateCandidates[0], sdpMid: "0", sdpMLineIndex: 0), from: other.id))
            #expect(try await peer.next() == .candidate(IceCandidateInit(candidate: lateCandidates[1], sdpMid: "0", sdpMLineIndex: 0), from: other.id))
            #expect(try await peer.next() == .endOfCandidates(from: other.id))
            peer.send(.answer(sdp: answerSDP, from: nil))
            #expect(try await answered == answerSDP)
            try await offerer.close()
            await peer.close()
        }
    }
}
