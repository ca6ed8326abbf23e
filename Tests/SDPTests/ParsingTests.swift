import Testing
import RTP
@testable import SDP

/// The RFCs' own examples, and the leniencies real peers need.
@Suite struct ParsingTests {
    /// RFC 8866 §5, the example session description.
    static let rfc8866Example = """
        v=0
        o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1
        s=Call to John Smith
        i=SDP Offer #1
        u=http://www.jdoe.example.com/home.html
        e=Jane Doe <jane@jdoe.example.com>
        p=+1 617 555-6011
        c=IN IP4 198.51.100.1
        t=0 0
        m=audio 49170 RTP/AVP 0
        m=audio 49180 RTP/AVP 0
        m=video 51372 RTP/AVP 99
        c=IN IP6 2001:db8::2
        a=rtpmap:99 h263-1998/90000

        """

    @Test func rfc8866Example() throws {
        let sdp = try SessionDescription.parse(Self.rfc8866Example)
        #expect(sdp.origin == Origin(username: "jdoe", sessionID: "3724394400", sessionVersion: 3724394405,
                                     address: "198.51.100.1"))
        #expect(sdp.sessionName == "Call to John Smith")
        #expect(sdp.connection == ConnectionData(address: "198.51.100.1"))
        #expect(sdp.otherLines.map(\.type) == ["i", "u", "e", "p"])
        #expect(sdp.media.count == 3)
        #expect(sdp.media.map(\.port) == [49170, 49180, 51372])
        #expect(sdp.media[0].codecs == [RTPCodec(payloadType: 0, name: "PCMU", clockRate: 8000, channels: 1)])
        #expect(sdp.media[2].connection == ConnectionData(addressType: "IP6", address: "2001:db8::2"))
        #expect(sdp.media[2].codecs == [RTPCodec(payloadType: 99, name: "h263-1998", clockRate: 90000)])
        // LF-only in, CRLF out, same content and RFC 8866 line order.
        let crlf = Self.rfc8866Example.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(sdp.sdpText == crlf)
    }

    /// RFC 3264 §10.1: Alice's offer and Bob's answer.
    static let rfc3264Offer = """
        v=0
        o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com
        s=
        c=IN IP4 host.atlanta.example.com
        t=0 0
        m=audio 49170 RTP/AVP 0 8 97
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=rtpmap:97 iLBC/8000
        m=video 51372 RTP/AVP 31 32
        a=rtpmap:31 H261/90000
        a=rtpmap:32 MPV/90000

        """
    static let rfc3264Answer = """
        v=0
        o=bob 2808844564 2808844564 IN IP4 host.biloxi.example.com
        s=
        c=IN IP4 host.biloxi.example.com
        t=0 0
        m=audio 49174 RTP/AVP 0
        a=rtpmap:0 PCMU/8000
        m=video 49170 RTP/AVP 32
        a=rtpmap:32 MPV/90000

        """

    @Test func rfc3264Example() throws {
        let offer = try SessionDescription.parse(Self.rfc3264Offer)
        #expect(offer.sessionName == "")
        #expect(offer.media[0].codecs.map(\.name) == ["PCMU", "PCMA", "iLBC"])
        #expect(offer.media[1].codecs.map(\.payloadType) == [31, 32])
        #expect(offer.media.allSatisfy { $0.direction == .sendrecv })
        let answer = try SessionDescription.parse(Self.rfc3264Answer)
        #expect(answer.media[1].codecs.map(\.name) == ["MPV"])
        #expect(answer.sdpText == Self.rfc3264Answer.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test func lenientForm() throws {
        // LF endings, blank lines, trailing and leading whitespace, no s= and no t=.
        let text = "v=0 \n  o=- 1 2 IN IP4 127.0.0.1\n\na=group:BUNDLE 0  \nm=audio 9 UDP/TLS/RTP/SAVPF 111\t\na=mid:0\r\na=rtpmap:111 opus/48000/2   \n"
        let sdp = try SessionDescription.parse(text)
        #expect(sdp.sessionName == "-")
        #expect(sdp.timing == "0 0")
        #expect(sdp.bundleGroup == ["0"])
        #expect(sdp.media[0].mid == "0")
        #expect(sdp.media[0].codecs.first?.channels == 2)
        #expect(sdp.sdpText == "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n")
    }

    @Test func byteOrderMarkIsIgnored() throws {
        #expect(try SessionDescription.parse("\u{FEFF}v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n").origin.sessionID == "1")
    }

    @Test func missingOriginGetsADefault() throws {
        let sdp = try SessionDescription.parse("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n")
        #expect(sdp.origin.username == "-")
        #expect(sdp.media.count == 1)
    }

    @Test func sessionLevelFallbacks() throws {
        let text = """
            v=0
            o=- 1 1 IN IP4 0.0.0.0
            s=-
            t=0 0
            a=ice-ufrag:sess
            a=ice-pwd:sessionpasswordsessionpass
            a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33
            a=setup:passive
            a=recvonly
            a=group:BUNDLE a b
            m=audio 9 UDP/TLS/RTP/SAVPF 0
            a=mid:a
            a=ice-ufrag:media
            a=ice-pwd:mediapasswordmediapassword
            a=setup:actpass
            a=candidate:1 1 udp 1 127.0.0.1 5000 typ host
            m=video 9 UDP/TLS/RTP/SAVPF 96
            a=mid:b
            a=sendonly
            a=rtpmap:96 VP8/90000
            m=video 9 UDP/TLS/RTP/SAVPF 96
            a=mid:c
            a=rtpmap:96 VP8/90000
            """
        let sdp = try SessionDescription.parse(text)
        #expect(sdp.iceUfrag(forMediaAt: 0) == "media")
        // b is bundled with a: a's transport applies.
        #expect(sdp.iceUfrag(forMediaAt: 1) == "media")
        #expect(sdp.setup(forMediaAt: 1) == .actpass)
        #expect(sdp.transport(forMediaAt: 1).candidates.count == 1)
        // c is not bundled: the session level applies.
        #expect(sdp.iceUfrag(forMediaAt: 2) == "sess")
        #expect(sdp.icePwd(forMediaAt: 2) == "sessionpasswordsessionpass")
        #expect(sdp.setup(forMediaAt: 2) == .passive)
        #expect(sdp.transport(forMediaAt: 2).candidates.isEmpty)
        #expect(sdp.fingerprints(forMediaAt: 0).first?.hashFunction == "sha-1")
        #expect(sdp.direction(forMediaAt: 0) == .recvonly)
        #expect(sdp.direction(forMediaAt: 1) == .sendonly)
        #expect(sdp.media[0].direction == .sendrecv)
    }

    @Test func codecJoinRules() throws {
        let text = """
            v=0
            o=- 1 1 IN IP4 0.0.0.0
            m=video 9 UDP/TLS/RTP/SAVPF 96 97 120 34
            a=rtcp-fb:* nack
            a=rtpmap:96 VP8/90000
            a=rtcp-fb:96 nack
            a=rtcp-fb:96 ccm fir
            a=rtpmap:97 rtx/90000
            a=fmtp:97 apt=96;rtx-time=3000
            """
        let m = try SessionDescription.parse(text).media[0]
        // 120 has no rtpmap and is dynamic: left out. 34 is static H263.
        #expect(m.codecs.map(\.payloadType) == [96, 97, 34])
        #expect(m.codecs[0].feedback == [.nack, .fir])
        #expect(m.codecs[1].feedback == [.nack])
        #expect(m.codecs[1].apt == 96)
        #expect(m.codecs[1].parameters["RTX-TIME"] == "3000")
        #expect(m.codecs[2].name == "H263")
    }

    /// Found by FuzzSDP: `k=` before `i=` in a media section (and `z=`/`u=` before `i=` at the
    /// session level) parsed in input order but was written in RFC 8866 order, so the text
    /// read back as another description (the fuzz target's round-trip check trapped).
    @Test func linesOutOfRFCOrderRoundTrip() throws {
        let text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nz=0 -1h\r\nu=http://x\r\ni=session\r\n"
            + "m=audio 9 RTP/AVP 0\r\nk=prompt\r\ni=first\r\na=mid:0\r\ni=second\r\n"
        let parsed = try SessionDescription.parse(text)
        let again = try SessionDescription.parse(parsed.sdpText)
        #expect(again == parsed)
        #expect(again.sdpText == parsed.sdpText)
        #expect(parsed.media[0].otherLines.map(\.line) == ["i=first", "i=second", "k=prompt"])
        #expect(parsed.otherLines.map(\.line) == ["i=session", "u=http://x", "z=0 -1h"])
    }

    @Test func unknownAttributesKeepTheirPlace() throws {
        let text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=x-first:1\r\nm=audio 9 RTP/AVP 0\r\na=x-b\r\na=mid:0\r\na=x-a:v:w\r\n"
        var sdp = try SessionDescription.parse(text)
        #expect(sdp.media[0].attributes == [SDPAttribute("x-b"), SDPAttribute("mid", "0"), SDPAttribute("x-a", "v:w")])
        #expect(sdp.sdpText == text)
        sdp.media[0].mid = "audio"
        #expect(sdp.media[0].attributes[1] == SDPAttribute("mid", "audio"))
    }

    /// A section built property by property, in any order, comes out in Chromium's order.
    @Test func buildingInAnyOrderGivesChromiumOrder() throws {
        var m = MediaDescription(kind: .video)
        m.setSources(primary: 1111, retransmission: 2222, cname: "tincan")
        m.codecs = Tincan.video().codecs
        m.rtcpMux = true
        m.msid = MediaStreamID(streamID: "stream", trackID: "track")
        m.direction = .sendonly
        m.headerExtensions = [ExtMap(id: 4, uri: RTPHeaderExtensionURI.mid)]
        m.mid = "0"
        m.setup = .actpass
        m.fingerprints = [SDPFingerprint(hashFunction: "SHA-256", value: "FA:F7:26:FE:21:8F:48:2C:4A:80:46:C0:A0:FB:EB:97:79:D0:88:CB:B4:A1:B3:9D:F1:6D:05:E0:BC:0E:36:16")]
        m.iceUfrag = "ufrag"
        m.icePwd = "pwd"
        m.candidates = ["1 1 udp 1 127.0.0.1 9 typ host"]
        m.rtcpReducedSize = true
        let names = m.attributes.map(\.name)
        #expect(names == ["candidate", "ice-ufrag", "ice-pwd", "fingerprint", "setup", "mid", "extmap", "sendonly", "msid",
                          "rtcp-mux", "rtcp-rsize", "rtpmap", "rtcp-fb", "rtcp-fb", "rtcp-fb", "rtcp-fb", "rtcp-fb",
                          "rtpmap", "fmtp", "ssrc-group", "ssrc", "ssrc"])
        #expect(m.attribute("fingerprint") == "sha-256 FA:F7:26:FE:21:8F:48:2C:4A:80:46:C0:A0:FB:EB:97:79:D0:88:CB:B4:A1:B3:9D:F1:6D:05:E0:BC:0E:36:16")
        #expect(m.ssrcs.map(\.cname) == ["tincan", "tincan"])
        #expect(m.retransmissionSSRC(for: 1111) == 2222)
        // Setting again replaces in place; nil removes.
        m.direction = .inactive
        m.mid = nil
        m.rtcpMux = false
        m.setSources(primary: 3333, cname: "x")
        #expect(m.attributes.map(\.name).prefix(8) == ["candidate", "ice-ufrag", "ice-pwd", "fingerprint", "setup", "extmap", "inactive", "msid"])
        #expect(!m.hasAttribute("ssrc-group") && m.ssrcs.map(\.ssrc) == [3333])
        var session = SessionDescription(origin: .jsep(), media: [m])
        session.bundleGroup = ["0"]
        session.groups.append(SDPGroup(semantics: "LS", mids: ["0"]))
        session.bundleGroup = nil
        #expect(session.groups == [SDPGroup(semantics: "LS", mids: ["0"])])
        #expect(try SessionDescription.parse(session.sdpText) == session)
    }
}
