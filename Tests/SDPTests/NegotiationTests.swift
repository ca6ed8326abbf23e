import Testing
import RTP
@testable import SDP

/// Answering offers (RFC 3264 §6, RFC 8829 §5.3.1) and applying answers (RFC 3264 §7).
@Suite struct NegotiationTests {
    static let transport = LocalTransport(
        iceUfrag: "TnCn", icePwd: "tincan-ice-password-0123",
        iceOptions: ["trickle"],
        fingerprints: [SDPFingerprint(hashFunction: "sha-256", value:
            "7B:23:A7:9D:F6:55:A2:7D:F7:8D:4D:C9:F2:1D:F5:FD:85:1C:38:E3:2E:48:FF:3B:2B:93:7F:3E:8D:B8:1B:C0")],
        candidates: ["1 1 udp 2130706431 127.0.0.1 50000 typ host"], endOfCandidates: true)
    static let tincan = [Tincan.video(), Tincan.audio()]

    @Test func chromiumOfferAnsweredByTincan() throws {
        let offer = try Fixture.parse("chromium-offer.sdp")
        let answer = offer.answer(capabilities: Self.tincan, transport: Self.transport,
                                  origin: Origin(sessionID: "1234", sessionVersion: 2))
        #expect(answer.bundleGroup == ["0", "1"])
        #expect(answer.extmapAllowMixed)
        let audio = answer.media[0], video = answer.media[1]
        #expect(audio.mid == "0" && video.mid == "1")
        #expect(!audio.isRejected && !video.isRejected)
        // Chromium sends only: we receive only.
        #expect(audio.direction == .recvonly && video.direction == .recvonly)
        // Opus alone: RED (63) needs local RED; G722, PCMU... are not local codecs.
        #expect(audio.codecs == [RTPCodec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2,
                                          parameters: "minptime=10;useinbandfec=1", feedback: [.transportCC])])
        // VP8 on the offerer's 96 with the offerer's feedback order, RTX 97 for it; no H264, VP9, AV1,
        // and none of their RTX; no red/ulpfec.
        #expect(video.codecs == [
            RTPCodec(payloadType: 96, name: "VP8", clockRate: 90000, feedback: [.remb, .transportCC, .fir, .nack, .pli]),
            RTPCodec(payloadType: 97, name: "rtx", clockRate: 90000, parameters: "apt=96"),
        ])
        #expect(video.formats == ["96", "97"])
        // Known extensions with the offerer's ids, in the offer's order.
        #expect(video.headerExtensions.map(\.id) == [2, 3, 4])
        // No audio level: no stage reads or writes it, so the registry does not offer it.
        #expect(audio.headerExtensions.map(\.uri) == [RTPHeaderExtensionURI.absSendTime,
                                                      RTPHeaderExtensionURI.transportSequenceNumber, RTPHeaderExtensionURI.mid])
        #expect(audio.rtcpMux && audio.rtcpReducedSize)
        for index in answer.media.indices {
            let transport = answer.transport(forMediaAt: index)
            #expect(transport.setup == .active)
            #expect(transport.iceUfrag == "TnCn")
            #expect(transport.fingerprints == Self.transport.fingerprints)
        }
        #expect(audio.candidates == Self.transport.candidates && audio.endOfCandidates)
        #expect(video.candidates.isEmpty)

        // The text: Chromium's line order, CRLF, and it parses back to the same thing.
        let text = answer.sdpText
        #expect(try SessionDescription.parse(text) == answer)
        let videoLines = text.components(separatedBy: "\r\n").drop { !$0.hasPrefix("m=video") }
        #expect(Array(videoLines.prefix(14)) == [
            "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
            "c=IN IP4 0.0.0.0",
            "a=ice-ufrag:TnCn",
            "a=ice-pwd:tincan-ice-password-0123",
            "a=ice-options:trickle",
            "a=fingerprint:sha-256 7B:23:A7:9D:F6:55:A2:7D:F7:8D:4D:C9:F2:1D:F5:FD:85:1C:38:E3:2E:48:FF:3B:2B:93:7F:3E:8D:B8:1B:C0",
            "a=setup:active",
            "a=mid:1",
            "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
            "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
            "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
            "a=recvonly",
            "a=rtcp-mux",
            "a=rtcp-rsize",
        ])
        #expect(text.hasPrefix("v=0\r\no=- 1234 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\na=extmap-allow-mixed\r\nm=audio 9 "))

        // And from the answerer's side: what it settled.
        let negotiated = try answer.negotiated(answering: offer)
        #expect(negotiated.map(\.direction) == [.recvonly, .recvonly])
        #expect(negotiated[1].acceptedPayloadTypes == [96, 97])
        #expect(negotiated[1].retransmissionPayloadType(for: 96) == 97)
        #expect(negotiated[1].localSetup == .active)
        #expect(negotiated[1].remoteSSRCs.map(\.ssrc) == [3855957948, 1491394567])
        #expect(negotiated[1].headerExtensionID(RTPHeaderExtensionURI.transportSequenceNumber) == 3)
    }

    @Test func webrtcbinOfferAnswered() throws {
        let offer = try Fixture.parse("gstreamer-offer.sdp")
        let answer = offer.answer(capabilities: Self.tincan, transport: Self.transport)
        // The bundle-only audio section is accepted, on the BUNDLE transport.
        #expect(answer.media.map(\.isRejected) == [false, false])
        #expect(answer.media.map(\.port) == [9, 9])
        #expect(answer.bundleGroup == ["video0", "audio1"])
        #expect(answer.media.map(\.direction) == [.recvonly, .recvonly])
        #expect(answer.media[0].codecs == [RTPCodec(payloadType: 96, name: "VP8", clockRate: 90000,
                                                    feedback: [.pli, .fir, .transportCC])])
        // webrtcbin writes OPUS: matched case-insensitively, answered as offered.
        #expect(answer.media[1].codecs.map(\.payloadType) == [111])
        #expect(answer.media[1].codecs[0].name == "OPUS")
        #expect(answer.media[0].rtcpReducedSize)
        #expect(!answer.extmapAllowMixed)
        #expect(answer.media[0].headerExtensions.isEmpty)
    }

    @Test func dataChannelOnlyOfferIsRejected() throws {
        let offer = try SessionDescription.parse("""
            v=0
            o=- 1 2 IN IP4 127.0.0.1
            s=-
            t=0 0
            a=group:BUNDLE 0
            m=application 9 UDP/DTLS/SCTP webrtc-datachannel
            c=IN IP4 0.0.0.0
            a=ice-ufrag:abcd
            a=ice-pwd:abcdefghijklmnopqrstuvwx
            a=fingerprint:sha-256 FA:F7:26:FE:21:8F:48:2C:4A:80:46:C0:A0:FB:EB:97:79:D0:88:CB:B4:A1:B3:9D:F1:6D:05:E0:BC:0E:36:16
            a=setup:actpass
            a=mid:0
            a=sctp-port:5000
            a=max-message-size:262144
            """)
        let answer = offer.answer(capabilities: Self.tincan, transport: Self.transport)
        #expect(answer.media.count == 1)
        let section = answer.media[0]
        #expect(section.isRejected && section.port == 0)
        #expect(section.kind == .application && section.proto == "UDP/DTLS/SCTP")
        #expect(section.formats == ["webrtc-datachannel"])
        #expect(section.mid == "0")
        #expect(answer.bundleGroup == nil)
        #expect(section.iceUfrag == nil && section.candidates.isEmpty)
        #expect(answer.sdpText.contains("m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"))
        let negotiated = try answer.negotiated(answering: offer)
        #expect(negotiated[0].isRejected && negotiated[0].codecs.isEmpty)
    }

    @Test func firefoxOfferKeepsAudioVideoRejectsData() throws {
        let offer = try Fixture.parse("firefox-offer.sdp")
        let answer = offer.answer(capabilities: Self.tincan, transport: Self.transport)
        #expect(answer.media.map(\.isRejected) == [false, false, true])
        #expect(answer.bundleGroup == ["0", "1"])
        // RTX 124 for VP8 120 stays; 125, 127, 98 retransmit codecs we do not take.
        #expect(answer.media[1].codecs.map(\.payloadType) == [120, 124])
        #expect(answer.media[1].codecs[1].apt == 120)
        #expect(answer.media[0].codecs.map(\.payloadType) == [109])
        // Session-level a=sendrecv in the offer: answered sendrecv with a sendrecv wish.
        #expect(answer.media[0].direction == .sendrecv)
        // Neither audio-level extension is ours (no stage writes one): dropped; mid is kept
        // with id 3.
        #expect(answer.media[0].headerExtensions.map(\.id) == [3])
    }

    @Test func directionsFollowRFC3264() throws {
        let aiortc = try Fixture.parse("aiortc-offer.sdp")
        // Offer sendonly -> recvonly, or inactive when we will not receive.
        #expect(aiortc.answer(capabilities: Self.tincan, transport: Self.transport).media.map(\.direction) == [.recvonly, .recvonly])
        let sendOnlyUs = [Tincan.video(direction: .sendonly), Tincan.audio(direction: .sendonly)]
        #expect(aiortc.answer(capabilities: sendOnlyUs, transport: Self.transport).media.map(\.direction) == [.inactive, .inactive])
        // The table itself.
        let cases: [(MediaDirection, MediaDirection, MediaDirection)] = [
            (.sendrecv, .sendrecv, .sendrecv), (.sendrecv, .sendonly, .sendonly), (.sendrecv, .recvonly, .recvonly),
            (.sendonly, .sendrecv, .recvonly), (.sendonly, .sendonly, .inactive), (.recvonly, .sendrecv, .sendonly),
            (.recvonly, .recvonly, .inactive), (.inactive, .sendrecv, .inactive),
        ]
        for (offered, wish, expected) in cases {
            #expect(offered.answer(wantsToSend: wish.sends, wantsToReceive: wish.receives) == expected, "\(offered) \(wish)")
        }
    }

    @Test func answerKeepsTheOfferersPreferenceOrder() throws {
        let offer = try SessionDescription.parse("""
            v=0
            o=- 1 1 IN IP4 0.0.0.0
            m=video 9 UDP/TLS/RTP/SAVPF 100 101 120 121
            a=mid:v
            a=rtcp-mux
            a=rtpmap:100 VP9/90000
            a=rtpmap:101 rtx/90000
            a=fmtp:101 apt=100
            a=rtpmap:120 vp8/90000
            a=rtcp-fb:120 nack
            a=rtcp-fb:120 NACK PLI
            a=rtcp-fb:120 ccm tmmbr
            a=rtpmap:121 rtx/90000
            a=fmtp:121 apt=120
            """)
        var local = Tincan.video()
        local.codecs += [RTPCodec(payloadType: 98, name: "VP9", clockRate: 90000, feedback: [.nack]), .rtx(payloadType: 99, for: 98)]
        let section = offer.answer(capabilities: [local], transport: Self.transport).media[0]
        #expect(section.codecs.map(\.payloadType) == [100, 101, 120, 121])
        #expect(section.codecs[3].apt == 120 && section.codecs[1].apt == 100)
        // rtcp-fb: the intersection, case-insensitive, in the offer's order.
        #expect(section.codecs[2].feedback == [.nack, RTCPFeedback(type: "NACK", parameter: "PLI")])
        #expect(section.codecs[2].name == "vp8")
    }

    @Test func nothingInCommonRejectsTheSection() throws {
        let offer = try Fixture.parse("chromium-offer.sdp")
        let h264Only = MediaCapabilities(kind: .video, codecs: [
            RTPCodec(payloadType: 126, name: "H264", clockRate: 90000, parameters: "packetization-mode=2;profile-level-id=640032"),
        ])
        let answer = offer.answer(capabilities: [h264Only, Tincan.audio()], transport: Self.transport)
        #expect(answer.media.map(\.isRejected) == [false, true])
        #expect(answer.bundleGroup == ["0"])
        #expect(answer.media[1].formats == offer.media[1].formats)
        // No capabilities for a kind: rejected too.
        let audioOnly = offer.answer(capabilities: [Tincan.audio()], transport: Self.transport)
        #expect(audioOnly.media.map(\.isRejected) == [false, true])
        // Without rtcp-mux in the offer Tincan refuses (it multiplexes only).
        var noMux = offer
        noMux.media[0].rtcpMux = false
        #expect(noMux.answer(capabilities: Self.tincan, transport: Self.transport).media[0].isRejected)
    }

    @Test func h264MatchesOnPacketizationModeAndProfile() {
        let offered = RTPCodec(payloadType: 102, name: "H264", clockRate: 90000,
                               parameters: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f")
        #expect(offered.isCompatible(with: RTPCodec(payloadType: 1, name: "h264", clockRate: 90000,
                                                    parameters: "packetization-mode=1;profile-level-id=42001F")))
        #expect(!offered.isCompatible(with: RTPCodec(payloadType: 1, name: "H264", clockRate: 90000,
                                                     parameters: "profile-level-id=42001f")))
        #expect(!offered.isCompatible(with: RTPCodec(payloadType: 1, name: "H264", clockRate: 90000,
                                                     parameters: "packetization-mode=1;profile-level-id=4d001f")))
        let opus = RTPCodec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2)
        #expect(!opus.isCompatible(with: RTPCodec(payloadType: 111, name: "opus", clockRate: 48000)))
        #expect(!opus.isCompatible(with: RTPCodec(payloadType: 111, name: "opus", clockRate: 16000, channels: 2)))
        #expect(RTPCodec(payloadType: 0, name: "PCMU", clockRate: 8000).isCompatible(with: RTPCodec(payloadType: 0, name: "pcmu", clockRate: 8000, channels: 1)))
    }

    @Test func redKeptOnlyWithWhatItCarries() throws {
        let offer = try Fixture.parse("chromium-offer.sdp")
        var audio = Tincan.audio()
        audio.codecs.append(RTPCodec(payloadType: 63, name: "red", clockRate: 48000, channels: 2))
        let answered = offer.answer(capabilities: [audio], transport: Self.transport).media[0]
        #expect(answered.codecs.map(\.payloadType) == [111, 63])
        #expect(answered.codecs[1].parameters.raw == "111/111")
        // Without Opus, RED alone is nothing in common.
        let redOnly = MediaCapabilities(kind: .audio, codecs: [RTPCodec(payloadType: 63, name: "red", clockRate: 48000, channels: 2)])
        #expect(offer.answer(capabilities: [redOnly], transport: Self.transport).media[0].isRejected)
    }

    @Test func extmapDirectionIsAnsweredInReverse() throws {
        let offer = try Fixture.parse("firefox-offer.sdp")
        // A local side that also knows both audio levels (Tincan writes neither).
        var audio = Tincan.audio()
        audio.headerExtensions.append(ExtMap(id: 8, uri: "urn:ietf:params:rtp-hdrext:ssrc-audio-level"))
        audio.headerExtensions.append(ExtMap(id: 9, uri: "urn:ietf:params:rtp-hdrext:csrc-audio-level"))
        let section = offer.answer(capabilities: [audio], transport: Self.transport).media[0]
        #expect(section.headerExtensions.map(\.id) == [1, 2, 3])
        #expect(section.headerExtensions[1].direction == .sendonly)
        #expect(section.sdpLines.contains("a=extmap:2/sendonly urn:ietf:params:rtp-hdrext:csrc-audio-level"))
    }

    @Test func rfc3264ExampleAnswer() throws {
        let offer = try SessionDescription.parse(ParsingTests.rfc3264Offer)
        let plainRTP: Set<String> = ["RTP/AVP"]
        let audio = MediaCapabilities(kind: .audio, codecs: [RTPCodec(payloadType: 0, name: "PCMU", clockRate: 8000)],
                                      requiresRTCPMux: false, protocols: plainRTP)
        let video = MediaCapabilities(kind: .video, codecs: [RTPCodec(payloadType: 32, name: "MPV", clockRate: 90000)],
                                      requiresRTCPMux: false, protocols: plainRTP)
        let answer = offer.answer(capabilities: [audio, video], transport: Self.transport)
        let expected = try SessionDescription.parse(ParsingTests.rfc3264Answer)
        #expect(answer.media.map(\.formats) == expected.media.map(\.formats))
        #expect(answer.media.map(\.codecs) == expected.media.map(\.codecs))
        // Tincan's SRTP-only default refuses plain RTP/AVP.
        let refused = offer.answer(capabilities: Self.tincan, transport: Self.transport).media.map(\.isRejected)
        #expect(refused == [true, true])
    }

    // MARK: applying a remote answer to a local offer

    @Test func chromiumAnswerAppliedToOffer() throws {
        let offer = try Fixture.parse("aiortc-offer-to-chromium.sdp")
        let answer = try Fixture.parse("chromium-answer.sdp")
        let negotiated = try offer.negotiated(withAnswer: answer)
        #expect(negotiated.map(\.mid) == ["0", "1"])
        #expect(negotiated.map(\.direction) == [.sendonly, .sendonly])
        let video = negotiated[0]
        #expect(video.acceptedPayloadTypes == [97, 98])
        #expect(video.preferredCodec?.name == "VP8")
        // Chromium answered goog-remb, nack, nack pli: all were offered.
        #expect(video.preferredCodec?.feedback == [.remb, .nack, .pli])
        #expect(video.retransmissionPayloadType(for: 97) == 98)
        #expect(video.headerExtensionID(RTPHeaderExtensionURI.absSendTime) == 3)
        #expect(video.localSetup == .passive)  // Chromium is active: we are the DTLS server.
        #expect(video.rtcpMux && !video.rtcpReducedSize)
        #expect(negotiated[1].preferredCodec?.parameters["useinbandfec"] == "1")
    }

    @Test func webrtcbinAnswerAppliedToOffer() throws {
        let offer = try Fixture.parse("aiortc-offer-to-gstreamer.sdp")
        let answer = try Fixture.parse("gstreamer-answer.sdp")
        let negotiated = try offer.negotiated(withAnswer: answer)
        // webrtcbin keeps the first codec only: no RTX, and only the feedback it kept.
        #expect(negotiated[0].acceptedPayloadTypes == [97])
        #expect(negotiated[0].retransmissionPayloadType(for: 97) == nil)
        #expect(negotiated[0].preferredCodec?.feedback == [.pli])
        #expect(negotiated[0].headerExtensions.isEmpty)
        #expect(negotiated[1].preferredCodec?.name == "OPUS")
        #expect(negotiated.map(\.direction) == [.sendonly, .sendonly])
        #expect(negotiated.map(\.localSetup) == [.passive, .passive])
    }

    @Test func aiortcAnswerAppliedToOffer() throws {
        let negotiated = try Fixture.parse("aiortc-offer.sdp").negotiated(withAnswer: Fixture.parse("aiortc-answer.sdp"))
        #expect(negotiated[0].codecs.map(\.payloadType) == [97, 98])
        #expect(negotiated[0].remoteSSRCs.map(\.ssrc) == [2334701694, 2765412797])
        #expect(negotiated[0].remoteMsid?.streamID == "9222ef78-c033-4c02-8aac-96e52a5f235e")
    }

    @Test func mismatchedAnswersThrow() throws {
        let offer = try Fixture.parse("aiortc-offer.sdp")
        var answer = try Fixture.parse("aiortc-answer.sdp")
        var short = answer
        short.media.removeLast()
        #expect(throws: SDPError.self) { try offer.negotiated(withAnswer: short) }
        var swapped = answer
        swapped.media.swapAt(0, 1)
        #expect(throws: SDPError.self) { try offer.negotiated(withAnswer: swapped) }
        var foreign = answer
        foreign.media[0].codecs = [RTPCodec(payloadType: 100, name: "H264", clockRate: 90000)]
        do {
            _ = try offer.negotiated(withAnswer: foreign)
            Issue.record("accepted an answer with no offered codec")
        } catch {
            #expect(error.reason.contains("media section 1"))
        }
        answer.bundleGroup = ["0", "1", "9"]
        #expect(throws: SDPError.self) { try offer.negotiated(withAnswer: answer) }
    }

    // MARK: Tincan to Tincan

    @Test func tincanOfferAnsweredByTincan() throws {
        let offer = SessionDescription.offer(capabilities: [Tincan.video(direction: .sendonly), Tincan.audio(direction: .sendonly)],
                                             transport: Self.transport, origin: Origin(sessionID: "42"))
        let text = offer.sdpText
        #expect(text.contains("a=group:BUNDLE 0 1\r\n"))
        #expect(text.contains("a=setup:actpass\r\n"))
        #expect(text.contains("a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"))
        #expect(text.contains("a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"))
        let remote = try SessionDescription.parse(text)
        #expect(remote == offer)
        let answer = remote.answer(capabilities: [Tincan.video(direction: .recvonly), Tincan.audio(direction: .recvonly)],
                                   transport: Self.transport)
        let sender = try offer.negotiated(withAnswer: SessionDescription.parse(answer.sdpText))
        #expect(sender.map(\.direction) == [.sendonly, .sendonly])
        #expect(sender[0].codecs == Tincan.video().codecs)
        #expect(sender[1].codecs == Tincan.audio().codecs)
        #expect(sender[0].localSetup == .passive)
        let receiver = try answer.negotiated(answering: remote)
        #expect(receiver.map(\.direction) == [.recvonly, .recvonly])
        #expect(receiver[0].localSetup == .active)
    }
}

/// Tincan's own offer, as scripts/sdp/peer-acceptance.py handed it to aiortc 1.16, Chromium 156
/// and webrtcbin 1.22, and what they answered.
@Suite struct PeerAnswersToTincanTests {
    /// The recorded offer (Fixtures/tincan-offer.sdp), which the answers below answer.
    static var offer: SessionDescription { get throws { try Fixture.parse("tincan-offer.sdp") } }

    /// The recording (2026-12-04, aiortc 1.16, Chromium 156, webrtcbin 1.22) is the registry's
    /// offer: its codecs, their feedback and the pipeline's extmap ids (mid 1, abs-send-time 2,
    /// transport-cc 3) as the product writes them today.
    @Test func recordedOfferIsTheRegistrysOffer() throws {
        let recorded = try Self.offer
        let current = [Tincan.video(direction: .sendonly), Tincan.audio(direction: .sendonly)]
        #expect(recorded.media.map(\.kind) == current.map(\.kind))
        for (m, c) in zip(recorded.media, current) {
            #expect(m.codecs == c.codecs)
            #expect(m.headerExtensions == c.headerExtensions)
        }
    }

    static func withoutFeedback(_ codec: RTPCodec) -> RTPCodec {
        var c = codec
        c.feedback = []
        return c
    }

    @Test func chromiumAcceptsEverything() throws {
        let negotiated = try Self.offer.negotiated(withAnswer: Fixture.parse("chromium-answer-to-tincan.sdp"))
        #expect(negotiated.map(\.direction) == [.sendonly, .sendonly])
        #expect(negotiated[0].codecs.map(Self.withoutFeedback) == Tincan.video().codecs.map(Self.withoutFeedback))
        #expect(negotiated[0].rtcpReducedSize)
        #expect(Set(negotiated[0].headerExtensions.map(\.id)) == [1, 2, 3], "mid, abs-send-time and transport-cc all accepted")
        #expect(negotiated[1].codecs == Tincan.audio().codecs)
        #expect(negotiated.map(\.localSetup) == [.passive, .passive])
    }

    @Test func webrtcbinKeepsTheFirstCodecOnly() throws {
        let negotiated = try Self.offer.negotiated(withAnswer: Fixture.parse("gstreamer-answer-to-tincan.sdp"))
        #expect(negotiated[0].codecs == [RTPCodec(payloadType: 96, name: "VP8", clockRate: 90000,
                                                  feedback: [.pli, .fir, .transportCC])])
        #expect(negotiated[0].retransmissionPayloadType(for: 96) == nil)
        #expect(negotiated[0].headerExtensions.isEmpty)
        #expect(negotiated[1].preferredCodec?.name == "OPUS")
        #expect(negotiated.map(\.direction) == [.sendonly, .sendonly])
    }

    @Test func aiortcKeepsRTXAndREMB() throws {
        let negotiated = try Self.offer.negotiated(withAnswer: Fixture.parse("aiortc-answer-to-tincan.sdp"))
        #expect(negotiated[0].acceptedPayloadTypes == [96, 97])
        #expect(negotiated[0].preferredCodec?.feedback == [.nack, .pli, .remb])
        #expect(negotiated[0].retransmissionPayloadType(for: 96) == 97)
        #expect(negotiated[1].acceptedPayloadTypes == [111])
        #expect(!negotiated[0].rtcpReducedSize)
    }
}

extension MediaDescription {
    /// This section's attribute lines, for text checks.
    var sdpLines: [String] { attributes.map(\.line) }
}
