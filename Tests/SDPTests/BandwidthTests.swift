import Testing
@testable import SDP

/// The peer's `b=TIAS`/`b=AS` as a sender's limit (RFC 8829 §5.10, RFC 3890 §6.2.2), and ours.
@Suite struct BandwidthTests {
    @Test func tiasIsThePayloadLimitAndWinsOverAS() {
        #expect(Bandwidth.maximumPayloadBitrate([Bandwidth(type: "TIAS", value: 400_000)]) == 400_000)
        #expect(Bandwidth.maximumPayloadBitrate([Bandwidth(type: "AS", value: 2000), Bandwidth(type: "TIAS", value: 400_000)]) == 400_000)
    }

    @Test func asIsConvertedTheWayJSEPSays() {
        // 300 kbit/s with 5 % RTCP and 50 packets/s of 40 header bytes off: 269 kbit/s.
        #expect(Bandwidth.maximumPayloadBitrate([Bandwidth(type: "AS", value: 300)]) == 269_000)
        #expect(Bandwidth.maximumPayloadBitrate([Bandwidth(type: "AS", value: 10)]) == 0, "below the header estimate")
        #expect(Bandwidth.maximumPayloadBitrate([Bandwidth(type: "AS", value: .max)]) != nil, "no overflow")
        #expect(Bandwidth.maximumPayloadBitrate([Bandwidth(type: "CT", value: 100), Bandwidth(type: "RR", value: 0)]) == nil)
        #expect(Bandwidth.maximumPayloadBitrate([]) == nil)
    }

    @Test func ourLimitConvertsBackToAtMostItself() {
        for bits in [30_000, 269_000, 300_000, 2_500_000] {
            let lines = Bandwidth.limit(payloadBitrate: bits)
            #expect(lines.map(\.type) == ["AS", "TIAS"])
            #expect(Bandwidth.maximumPayloadBitrate(lines) == bits)
            let asOnly = Bandwidth.maximumPayloadBitrate(lines.filter { $0.type == "AS" }) ?? .max
            #expect(asOnly <= bits && asOnly > bits - 1000, "\(bits): AS gives \(asOnly)")
        }
    }

    static func chromiumOffer(videoLines: [String], sessionLines: [String] = []) throws -> SessionDescription {
        let text = try Fixture.text("chromium-offer.sdp")
        var lines = text.components(separatedBy: "\r\n")
        // After the video section's c= line (RFC 8866 §5's order).
        if let m = lines.firstIndex(where: { $0.hasPrefix("m=video") }) { lines.insert(contentsOf: videoLines, at: m + 2) }
        if let t = lines.firstIndex(where: { $0.hasPrefix("t=") }) { lines.insert(contentsOf: sessionLines, at: t) }
        return try SessionDescription.parse(lines.joined(separator: "\r\n"))
    }

    @Test func theOffersLimitReachesTheNegotiatedSection() throws {
        let offer = try Self.chromiumOffer(videoLines: ["b=AS:1000", "b=TIAS:500000"])
        let answer = offer.answer(capabilities: NegotiationTests.tincan, transport: NegotiationTests.transport)
        let negotiated = try answer.negotiated(answering: offer)
        #expect(negotiated[1].kind == .video && negotiated[1].remoteMaximumBitrate == 500_000)
        #expect(negotiated[0].remoteMaximumBitrate == nil, "audio has no b= line")
        // Chromium's Opus fmtp says its decoder uses in-band FEC.
        #expect(negotiated[0].remoteParameters(for: 111)?["useinbandfec"] == "1")
    }

    @Test func aSessionLevelLimitBoundsEverySection() throws {
        let offer = try Self.chromiumOffer(videoLines: ["b=TIAS:500000"], sessionLines: ["b=AS:300"])
        let answer = offer.answer(capabilities: NegotiationTests.tincan, transport: NegotiationTests.transport)
        let negotiated = try answer.negotiated(answering: offer)
        #expect(negotiated[0].remoteMaximumBitrate == 269_000)
        #expect(negotiated[1].remoteMaximumBitrate == 269_000, "the session's total is below the section's")
    }

    @Test func ourCapabilitiesLimitIsWrittenAndReadBack() throws {
        var video = Tincan.video(direction: .recvonly)
        video.bandwidths = Bandwidth.limit(payloadBitrate: 300_000)
        let offer = SessionDescription.offer(capabilities: [video], transport: NegotiationTests.transport)
        let text = offer.sdpText
        #expect(text.contains("\r\nb=AS:332\r\nb=TIAS:300000\r\n"))
        let parsed = try SessionDescription.parse(text)
        #expect(Bandwidth.maximumPayloadBitrate(parsed.media[0].bandwidths) == 300_000)
    }
}
