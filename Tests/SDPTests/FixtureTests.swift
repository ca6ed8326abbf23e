import Testing
import RTP
@testable import SDP

/// Real peers' descriptions: key facts, and parse(build(parse(x))) == parse(x).
@Suite struct FixtureTests {
    @Test func fixturesArePresent() {
        #expect(Fixture.all.count >= 13, "fixtures: \(Fixture.all)")
        for peer in ["aiortc", "chromium", "gstreamer", "firefox", "pion"] {
            #expect(Fixture.all.contains { $0.hasPrefix(peer) }, "no \(peer) fixture")
        }
    }

    @Test(arguments: Fixture.all)
    func roundTrip(_ name: String) throws {
        let parsed = try Fixture.parse(name)
        let built = parsed.sdpText
        let reparsed = try SessionDescription.parse(built)
        #expect(reparsed == parsed)
        // What we write is CRLF only, and writing again changes nothing.
        #expect(!built.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(reparsed.sdpText == built)
        #expect(built.hasPrefix("v=0\r\no="))
    }

    /// Fixtures written with CRLF and no stray whitespace come back byte for byte.
    @Test(arguments: Fixture.all.filter { $0 != "pion-offer.sdp" })
    func byteExactRoundTrip(_ name: String) throws {
        let text = try Fixture.text(name)
        #expect(try SessionDescription.parse(text).sdpText == text)
    }

    @Test func aiortcOffer() throws {
        let sdp = try Fixture.parse("aiortc-offer.sdp")
        #expect(sdp.bundleGroup == ["0", "1"])
        #expect(sdp.media.map(\.mid) == ["0", "1"])
        #expect(sdp.media.map(\.kind) == [.video, .audio])
        let video = sdp.media[0]
        #expect(video.direction == .sendonly)
        #expect(video.rtcpMux)
        #expect(!video.rtcpReducedSize)
        #expect(video.port == 40932)
        #expect(video.connection == ConnectionData(address: "127.0.0.1"))
        #expect(video.codecs.map(\.payloadType) == [97, 98])
        #expect(video.codecs[0].name == "VP8" && video.codecs[0].clockRate == 90000)
        #expect(video.codecs[0].feedback == [.nack, .pli, .remb])
        #expect(video.codecs[1].isRetransmission && video.codecs[1].apt == 97)
        #expect(video.headerExtensions.map(\.id) == [1, 3])
        #expect(video.headerExtensions[1].uri == RTPHeaderExtensionURI.absSendTime)
        #expect(video.ssrcGroups == [SSRCGroup(semantics: "FID", ssrcs: [2106451836, 3752300461])])
        #expect(video.retransmissionSSRC(for: 2106451836) == 3752300461)
        #expect(video.ssrcs.map(\.ssrc) == [2106451836, 3752300461])
        #expect(video.ssrcs[0].cname == "84fd24ea-15cc-4871-9c02-7d0e983cbc7e")
        #expect(video.msid == MediaStreamID(streamID: "fce79c57-8f00-4bd4-a180-8d404ed3688f",
                                           trackID: "3f29ee6c-890e-44e8-ad7d-ecd4727ed293"))
        #expect(video.candidates == ["16572de626da4e5384a0ce2d0d93678a 1 udp 2130706431 127.0.0.1 40932 typ host"])
        #expect(video.endOfCandidates)
        #expect(video.iceUfrag == "Ciiz")
        #expect(video.icePwd == "qVTylu8t8Dn6DZSF6EA9ul")
        #expect(video.fingerprints.map(\.hashFunction) == ["sha-256", "sha-384", "sha-512"])
        #expect(video.fingerprints[0].value.hasPrefix("3C:83:70:99"))
        #expect(video.setup == .actpass)
        let audio = sdp.media[1]
        #expect(audio.codecs == [RTPCodec(payloadType: 96, name: "opus", clockRate: 48000, channels: 2)])
        #expect(audio.ssrcs.map(\.ssrc) == [1148773591])
        // Unknown attributes survive, in place.
        #expect(video.attributes.contains(SDPAttribute("rtcp", "9 IN IP4 0.0.0.0")))
        #expect(sdp.attribute("msid-semantic") == "WMS *")
    }

    @Test func aiortcAnswer() throws {
        let sdp = try Fixture.parse("aiortc-answer.sdp")
        #expect(sdp.media.map(\.direction) == [.recvonly, .recvonly])
        #expect(sdp.media.map(\.setup) == [.active, .active])
        #expect(sdp.iceUfrag(forMediaAt: 1) == "HBFa")
        #expect(sdp.media[0].codecs.map(\.payloadType) == [97, 98])
    }

    @Test func firefoxOffer() throws {
        let sdp = try Fixture.parse("firefox-offer.sdp")
        #expect(sdp.origin.username == "mozilla...THIS_IS_SDPARTA-128.0")
        #expect(sdp.origin.sessionVersion == 0)
        #expect(sdp.bundleGroup == ["0", "1", "2"])
        #expect(sdp.media.map(\.kind) == [.audio, .video, .application])
        // Firefox writes the fingerprint and ice-options only at session level.
        #expect(sdp.media[0].fingerprints.isEmpty)
        let transport = sdp.transport(forMediaAt: 1)
        #expect(transport.fingerprints.first?.value.hasPrefix("FA:F7:26") == true)
        #expect(transport.iceOptions == ["trickle"])
        #expect(transport.iceUfrag == "b982a1e8")
        #expect(transport.setup == .actpass)
        let audio = sdp.media[0]
        #expect(audio.codecs.map(\.payloadType) == [109, 9, 0, 8, 101])
        #expect(audio.codecs[0].parameters["stereo"] == "1")
        #expect(audio.codecs[2] == RTPCodec(payloadType: 0, name: "PCMU", clockRate: 8000))
        #expect(audio.codecs[4].parameters.raw == "0-15")
        #expect(audio.headerExtensions[1] == ExtMap(id: 2, uri: "urn:ietf:params:rtp-hdrext:csrc-audio-level", direction: .recvonly))
        let video = sdp.media[1]
        // fmtp lines come before rtpmap lines in Firefox: the join does not care.
        #expect(video.codecs.map(\.payloadType) == [120, 124, 121, 125, 126, 127, 97, 98])
        #expect(video.codecs[0].name == "VP8")
        #expect(video.codecs[0].parameters.parameters.map(\.name) == ["max-fs", "max-fr"])
        #expect(video.codecs[0].feedback == [.nack, .pli, .fir, .remb, .transportCC])
        #expect(video.codecs[1].apt == 120)
        #expect(video.rtcpReducedSize)
        #expect(video.ssrcGroups.first?.ssrcs == [956767065, 2641399763])
        let data = sdp.media[2]
        #expect(data.proto == "UDP/DTLS/SCTP")
        #expect(data.formats == ["webrtc-datachannel"])
        #expect(data.codecs.isEmpty)
        #expect(data.sctpPort == 5000)
        #expect(data.maxMessageSize == 1073741823)
        #expect(sdp.direction(forMediaAt: 2) == .sendrecv)
    }

    @Test func pionOffer() throws {
        let sdp = try Fixture.parse("pion-offer.sdp")
        // No t= line: JSEP's "0 0" is assumed.
        #expect(sdp.timing == "0 0")
        #expect(sdp.extmapAllowMixed)
        #expect(sdp.fingerprints.count == 1)
        let video = sdp.media[0]
        // pion writes "a=rtcp-fb:96 nack " with a trailing space.
        #expect(video.codecs[0].feedback == [.remb, .fir, .nack, .pli, .transportCC])
        #expect(video.codecs.map(\.name) == ["VP8", "rtx", "H264", "rtx"])
        #expect(video.codecs[2].parameters["packetization-mode"] == "1")
        #expect(video.direction == .sendonly)
        #expect(video.candidates.count == 2)
        #expect(sdp.transport(forMediaAt: 1).fingerprints == sdp.fingerprints)
        #expect(sdp.media[1].codecs.map(\.payloadType) == [111, 0, 8])
    }

    @Test func chromiumOffer() throws {
        let sdp = try Fixture.parse("chromium-offer.sdp")
        #expect(sdp.bundleGroup == ["0", "1"])
        #expect(sdp.extmapAllowMixed)
        #expect(sdp.attribute("msid-semantic") == " WMS 9aac9e40-22e5-4c47-905e-c091e055c01c")
        let audio = sdp.media[0], video = sdp.media[1]
        #expect(audio.mid == "0" && video.mid == "1")
        #expect(audio.direction == .sendonly && video.direction == .sendonly)
        #expect(audio.codecs.map(\.payloadType) == [111, 63, 9, 0, 8, 13, 110, 126])
        #expect(audio.codecs[0] == RTPCodec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2,
                                            parameters: "minptime=10;useinbandfec=1", feedback: [.transportCC]))
        #expect(audio.codecs[1].redundantPayloadTypes == [111, 111])
        #expect(video.codecs.map(\.payloadType) == [96, 97, 102, 103, 104, 107, 108, 109, 114, 115, 116, 117,
                                                    39, 40, 45, 46, 98, 99, 100, 101, 118, 119, 120])
        #expect(video.codecs[0].name == "VP8")
        #expect(video.codecs[0].feedback == [.remb, .transportCC, .fir, .nack, .pli])
        #expect(video.codecs[1].apt == 96)
        #expect(video.codecs[2].parameters["profile-level-id"] == "42001f")
        #expect(video.retransmissionSSRC(for: 3855957948) == 1491394567)
        #expect(video.ssrcs.map(\.ssrc) == [3855957948, 1491394567])
        #expect(video.msid?.trackID == "ce8128c9-a59d-4591-8171-1722a5ef9c9d")
        #expect(audio.candidates.count == 8)
        #expect(audio.candidates.filter { $0.contains("tcptype active") }.count == 4)
        #expect(!audio.endOfCandidates)
        #expect(audio.iceUfrag == "z9e0" && audio.icePwd == "5tztplZVcBOQM5R45Vqe1smM")
        #expect(audio.fingerprints == [SDPFingerprint(hashFunction: "sha-256", value:
            "97:5A:98:AF:26:EA:28:77:83:CA:D2:A5:70:0E:9D:F0:AB:54:C0:44:BE:8B:BD:2C:73:A7:C9:99:99:25:23:E4")])
        #expect(audio.setup == .actpass)
        #expect(video.headerExtensions.map(\.id) == [14, 2, 13, 3, 5, 6, 7, 8, 4, 10, 11])
        #expect(audio.attributes.contains(SDPAttribute("rtcp-xr", "rcvr-rtt=all")))
    }

    @Test func chromiumAnswer() throws {
        let sdp = try Fixture.parse("chromium-answer.sdp")
        #expect(sdp.media.map(\.direction) == [.recvonly, .recvonly])
        #expect(sdp.media[0].codecs.map(\.payloadType) == [97, 98])
        #expect(sdp.media[0].codecs[0].feedback == [.remb, .nack, .pli])
        #expect(sdp.media[1].codecs[0].parameters["useinbandfec"] == "1")
        #expect(sdp.setup(forMediaAt: 0) == .active)
        #expect(sdp.iceUfrag(forMediaAt: 1) == "/ETK")
        #expect(sdp.media[0].headerExtensions.map(\.id) == [3, 1])
    }

    @Test func gstreamerOffer() throws {
        let sdp = try Fixture.parse("gstreamer-offer.sdp")
        #expect(sdp.bundleGroup == ["video0", "audio1"])
        #expect(sdp.iceOptions == ["trickle"])
        let video = sdp.media[0], audio = sdp.media[1]
        #expect(video.mid == "video0" && audio.mid == "audio1")
        #expect(video.codecs == [RTPCodec(payloadType: 96, name: "VP8", clockRate: 90000, feedback: [.pli, .fir, .transportCC])])
        // Port 0 with bundle-only is not a rejection (RFC 8843 §6).
        #expect(audio.port == 0 && audio.bundleOnly && !audio.isRejected)
        #expect(audio.codecs[0].name == "OPUS" && audio.codecs[0].channels == 2)
        #expect(audio.codecs[0].parameters["sprop-maxcapturerate"] == "48000")
        #expect(video.ssrcs.first?.cname == "user447503675@host-d1f026ac")
        #expect(sdp.transport(forMediaAt: 1).candidates == ["1 1 UDP 2015364095 127.0.0.1 47760 typ host"])
        #expect(sdp.iceUfrag(forMediaAt: 1) == "d5Mu2Nq+jq2i4iU4uB4z+vXyDhy3Dbs/")
        #expect(sdp.setup(forMediaAt: 0) == .actpass)
        #expect(video.fingerprints.first?.value.hasPrefix("48:60:5F") == true)
        #expect(video.attribute("framerate") == "30")
    }

    @Test func gstreamerAnswer() throws {
        let sdp = try Fixture.parse("gstreamer-answer.sdp")
        #expect(sdp.media[0].codecs == [RTPCodec(payloadType: 97, name: "VP8", clockRate: 90000, feedback: [.pli])])
        #expect(sdp.media[1].codecs.map(\.name) == ["OPUS"])
        #expect(sdp.media.map(\.mid) == ["0", "1"])
        #expect(!sdp.media[1].endOfCandidates)
    }

    @Test func chromiumShapeOffer() throws {
        let sdp = try Fixture.parse("chromium-shape-offer.sdp")
        #expect(sdp.extmapAllowMixed)
        let audio = sdp.media[0]
        #expect(audio.codecs.first == RTPCodec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2,
                                               parameters: "minptime=10;useinbandfec=1", feedback: [.transportCC]))
        #expect(audio.candidates.count == 2)
        // Candidates only in the first bundled section; the second shares its transport.
        #expect(sdp.media[1].candidates.isEmpty)
        #expect(sdp.transport(forMediaAt: 1).candidates.count == 2)
        let video = sdp.media[1]
        #expect(video.codecs.count == 15)
        #expect(video.codecs.filter(\.isRetransmission).count == 7)
        #expect(video.headerExtensions.first { $0.uri == RTPHeaderExtensionURI.transportSequenceNumber }?.id == 3)
        #expect(video.ssrcs.count == 2)
        #expect(video.ssrcs[0].attributes.map(\.name) == ["cname", "msid"])
    }
}

extension FormatParameters: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self.init(raw: value) }
}
