import NetworkPrimitives
import NIOCore
import Testing
@testable import ICE

@Suite struct CandidateTests {
    @Test func priorityFormula() {
        // RFC 8445 §5.1.2.1 with the recommended type preferences.
        #expect(ICECandidate.priority(type: .host, localPreference: 65535, component: 1) == 2_130_706_431)
        #expect(ICECandidate.priority(type: .serverReflexive, localPreference: 65535) == (100 << 24) | (65535 << 8) | 255)
        #expect(ICECandidate.priority(type: .peerReflexive, localPreference: 0, component: 2) == (110 << 24) | 254)
        #expect(ICECandidate.priority(type: .relayed, localPreference: 1) == 256 + 255)
    }

    @Test func pairPriorityFormula() {
        let l = ICECandidate(foundation: "1", priority: 200, address: TransportAddress("10.0.0.1", port: 1)!, type: .host)
        let r = ICECandidate(foundation: "2", priority: 100, address: TransportAddress("10.0.0.2", port: 1)!, type: .host)
        let p = CheckPair(id: 0, local: l, remote: r, state: .waiting)
        // Controlling: G = 200, D = 100 -> 2^32*100 + 2*200 + 1.
        #expect(p.priority(role: .controlling) == (100 << 32) + 401)
        // Controlled: G = 100, D = 200 -> 2^32*100 + 2*200 + 0.
        #expect(p.priority(role: .controlled) == (100 << 32) + 400)
    }

    @Test func foundationsFollowTypeBaseAndServer() {
        let ip = IPAddress("192.0.2.1")!
        let server = TransportAddress("198.51.100.1", port: 3478)!
        let host = ICECandidate.foundation(type: .host, baseIP: ip, server: nil)
        #expect(host == ICECandidate.foundation(type: .host, baseIP: ip, server: nil))
        #expect(host != ICECandidate.foundation(type: .host, baseIP: IPAddress("192.0.2.2")!, server: nil))
        #expect(host != ICECandidate.foundation(type: .serverReflexive, baseIP: ip, server: server))
        #expect(ICECandidate.foundation(type: .serverReflexive, baseIP: ip, server: server)
            != ICECandidate.foundation(type: .serverReflexive, baseIP: ip, server: TransportAddress("198.51.100.2", port: 3478)!))
        #expect(host.count <= 32 && host.allSatisfy(ICECredentials.iceChars.contains))
    }

    @Test func sdpRoundTrip() throws {
        let srflx = ICECandidate(foundation: "842163049", priority: 1_677_729_535,
                                 address: TransportAddress("203.0.113.5", port: 50000)!, type: .serverReflexive,
                                 relatedAddress: TransportAddress("192.168.1.2", port: 50000)!,
                                 extensions: [("generation", "0")])
        #expect(srflx.sdpLine == "a=candidate:842163049 1 UDP 1677729535 203.0.113.5 50000 typ srflx raddr 192.168.1.2 rport 50000 generation 0")
        #expect(try ICECandidate(sdp: srflx.sdpLine) == srflx)
        #expect(try ICECandidate(sdp: srflx.sdpAttribute) == srflx)
        let v6 = ICECandidate(foundation: "1", priority: 2_122_262_783, address: TransportAddress("fd00::2", port: 9)!, type: .host)
        #expect(v6.sdpAttribute == "candidate:1 1 UDP 2122262783 fd00::2 9 typ host")
        #expect(try ICECandidate(sdp: v6.sdpLine) == v6)
    }

    @Test func parsesCandidatesOfRealPeers() throws {
        // Chromium (with its extensions) and a TCP candidate it adds; aiortc; libnice.
        let chromium = try ICECandidate(sdp: "candidate:3098175849 1 udp 2122260223 127.0.0.1 56143 typ host generation 0 ufrag 7gLh network-id 1")
        #expect(chromium.type == .host && chromium.isUDP && chromium.address.port == 56143)
        #expect(chromium.extensions.count == 3)
        let tcp = try ICECandidate(sdp: "a=candidate:1 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0")
        #expect(!tcp.isUDP)
        let aiortc = try ICECandidate(sdp: "a=candidate:0d8a2dcb1d9b56f3a9f1b0f9e2a2e0d4 1 udp 2130706431 127.0.0.1 45005 typ host")
        #expect(aiortc.priority == 2_130_706_431)
        let nice = try ICECandidate(sdp: "a=candidate:2 1 UDP 1694498815 192.0.2.3 61665 typ srflx raddr 10.0.1.1 rport 8998\r\n")
        #expect(nice.relatedAddress == TransportAddress("10.0.1.1", port: 8998))
    }

    @Test func rejectsBadCandidateLines() {
        #expect(throws: ICECandidateParseError.self) { try ICECandidate(sdp: "") }
        #expect(throws: ICECandidateParseError.self) { try ICECandidate(sdp: "a=candidate:1 1 UDP") }
        #expect(throws: ICECandidateParseError.invalidField("component-id")) { try ICECandidate(sdp: "candidate:1 0 UDP 1 1.2.3.4 5 typ host") }
        #expect(throws: ICECandidateParseError.invalidField("priority")) { try ICECandidate(sdp: "candidate:1 1 UDP x 1.2.3.4 5 typ host") }
        #expect(throws: ICECandidateParseError.invalidField("port")) { try ICECandidate(sdp: "candidate:1 1 UDP 1 1.2.3.4 70000 typ host") }
        #expect(throws: ICECandidateParseError.missingField("typ")) { try ICECandidate(sdp: "candidate:1 1 UDP 1 1.2.3.4 5 type host") }
        #expect(throws: ICECandidateParseError.invalidField("cand-type")) { try ICECandidate(sdp: "candidate:1 1 UDP 1 1.2.3.4 5 typ bogus") }
        #expect(throws: ICECandidateParseError.unresolvedAddress("abc.local")) { try ICECandidate(sdp: "candidate:1 1 UDP 1 abc.local 5 typ host") }
        #expect(throws: ICECandidateParseError.invalidField("foundation")) { try ICECandidate(sdp: "candidate:a-b 1 UDP 1 1.2.3.4 5 typ host") }
        #expect(throws: ICECandidateParseError.missingField("generation")) { try ICECandidate(sdp: "candidate:1 1 UDP 1 1.2.3.4 5 typ host generation") }
    }

    @Test func credentialsFromCSPRNG() {
        var seen = Set<String>()
        for _ in 0..<200 {
            let c = ICECredentials.generate()
            #expect(c.ufrag.count == 16 && c.pwd.count == 24)
            #expect(c.isValid)
            seen.insert(c.pwd)
        }
        #expect(seen.count == 200)
        #expect(!ICECredentials(ufrag: "abc", pwd: String(repeating: "a", count: 22)).isValid)
        #expect(!ICECredentials(ufrag: "abcd", pwd: String(repeating: "a", count: 21)).isValid)
        #expect(!ICECredentials(ufrag: "ab:d", pwd: String(repeating: "a", count: 22)).isValid)
    }

    @Test func transportAddressesAndSocketAddresses() throws {
        for text in ["127.0.0.1", "192.0.2.255", "::1", "2001:db8::5", "fe80::1"] {
            let ip = try #require(IPAddress(text))
            #expect(ip.description == text)
            let a = TransportAddress(ip: ip, port: 4242)
            #expect(TransportAddress(a.socketAddress) == a)
        }
        // Against NIO's own parser: each byte of both halves where it belongs.
        for text in ["2001:db8:1:203:405:607:809:a0b", "::ffff:192.0.2.1", "ff02::1:ff00:1", "198.51.100.7"] {
            let nio = try SocketAddress(ipAddress: text, port: 5004)
            #expect(TransportAddress(nio) == TransportAddress(text, port: 5004))
        }
        #expect(IPAddress("::1")!.isLoopback && IPAddress("127.9.9.9")!.isLoopback && !IPAddress("fd00::2")!.isLoopback)
        #expect(IPAddress("fe80::1")!.isLinkLocal && !IPAddress("fd00::1")!.isLinkLocal)
        #expect(IPAddress("host.local") == nil && IPAddress("1.2.3") == nil)
        #expect(TransportAddress("::1", port: 9)!.description == "[::1]:9")
    }
}

/// `stun:` and `turn:` URIs (RFC 7064, RFC 7065), as RTCIceServer.urls carries them.
@Suite struct ICEServerURLTests {
    @Test func theFormsOfTheRFCs() throws {
        let turn = try ICEServerURL("turn:192.0.2.10:3479?transport=udp")
        #expect(turn.scheme == .turn && turn.host == "192.0.2.10" && turn.port == 3479 && turn.transport == .udp)
        #expect(turn.ip == IPAddress("192.0.2.10"))
        let tcp = try ICEServerURL("turn:turn.example.org?transport=tcp")
        #expect(tcp.host == "turn.example.org" && tcp.port == 3478 && tcp.transport == .tcp && tcp.ip == nil)
        let turns = try ICEServerURL("turns:[2001:db8::1]")
        #expect(turns.host == "2001:db8::1" && turns.port == 5349 && turns.transport == .tls)
        let stun = try ICEServerURL("STUN:[2001:db8::1]:19302")
        #expect(stun.scheme == .stun && stun.port == 19302)
        #expect(try ICEServerURL("stun:stun.l.google.com:19302").description == "stun:stun.l.google.com:19302")
        #expect(try ICEServerURL("turn:h").transport == .udp)
    }

    @Test func refusedWithTheReason() {
        #expect(throws: ICEServerURLError.unsupportedScheme("http")) { try ICEServerURL("http://example.org") }
        #expect(throws: ICEServerURLError.notAURL("example.org")) { try ICEServerURL("example.org") }
        #expect(throws: ICEServerURLError.invalidPort("0")) { try ICEServerURL("turn:h:0") }
        #expect(throws: ICEServerURLError.invalidPort("x")) { try ICEServerURL("turn:h:x") }
        #expect(throws: ICEServerURLError.invalidQuery("transport=udp")) { try ICEServerURL("stun:h?transport=udp") }
        #expect(throws: ICEServerURLError.invalidQuery("transport=sctp")) { try ICEServerURL("turn:h?transport=sctp") }
        #expect(throws: ICEServerURLError.invalidQuery("transport=udp")) { try ICEServerURL("turns:h?transport=udp") }
        #expect(throws: ICEServerURLError.invalidHost("turn://h:3478")) { try ICEServerURL("turn://h:3478") }
        #expect(throws: ICEServerURLError.invalidHost("turn:user@h")) { try ICEServerURL("turn:user@h") }
        #expect(throws: ICEServerURLError.invalidHost("turn:2001:db8::1")) { try ICEServerURL("turn:2001:db8::1") }
        #expect(throws: ICEServerURLError.invalidHost("turn:")) { try ICEServerURL("turn:") }
        #expect(ICEServerURLError.invalidHost("x").description.contains("turn:HOST[:PORT][?transport=udp|tcp]"))
    }
}
