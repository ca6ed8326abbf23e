import Foundation
import ICE
import NetworkPrimitives
import PeerConnection
import SDP
import Testing

/// Answers to offers captured from real peers (the SDP module's fixtures): what Tincan
/// answers must be acceptable to each of them (docs/interop.md).
@Suite(.serialized) struct AnswerToPeersTests {
    static func fixture(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../SDPTests/Fixtures/\(name)").standardized
        return try String(contentsOf: url, encoding: .utf8)
    }

    static func answer(_ offerName: String) async throws -> (offer: SessionDescription, answer: SessionDescription) {
        var c = RTCConfiguration()
        c.restrictToAddresses = [IPAddress("127.0.0.1")!]
        let pc = try RTCPeerConnection(configuration: c)
        let text = try fixture(offerName)
        try await pc.setRemoteDescription(RTCSessionDescription(type: .offer, sdp: text))
        let answer = try await pc.createAnswer()
        await pc.close()
        return (try SessionDescription(parsing: text), try SessionDescription(parsing: answer.sdp))
    }

    @Test("Tincan answers each captured offer: same sections, VP8/Opus on the offerer's payload types, setup active, recvonly",
          arguments: ["chromium-offer.sdp", "aiortc-offer.sdp", "gstreamer-offer.sdp", "firefox-offer.sdp", "pion-offer.sdp"])
    func answersOffer(_ name: String) async throws {
        let (offer, answer) = try await Self.answer(name)
        #expect(answer.media.count == offer.media.count)
        var accepted = 0
        for (o, a) in zip(offer.media, answer.media) {
            #expect(a.mid == o.mid)
            guard o.kind == .audio || o.kind == .video else {
                #expect(a.isRejected, "\(o.kind) is not something Tincan receives")
                continue
            }
            guard !a.isRejected else { continue }
            accepted += 1
            let codec = try #require(a.codecs.first)
            #expect(["vp8", "opus"].contains(codec.name.lowercased()))
            #expect(o.codecs.contains { $0.payloadType == codec.payloadType && $0.name.lowercased() == codec.name.lowercased() },
                    "answered \(codec.name) on \(codec.payloadType), which the offer does not have")
            #expect(a.rtcpMux)
            if o.direction == .sendonly { #expect(a.direction == .recvonly) }
        }
        #expect(accepted == 2, "\(name): \(accepted) sections accepted")
        let t = answer.transport(forMediaAt: 0)
        #expect(t.setup == .active)
        #expect((t.iceUfrag?.count ?? 0) >= 4 && (t.icePwd?.count ?? 0) >= 22)
        #expect(t.fingerprints.first?.hashFunction == "sha-256")
        #expect(!t.candidates.isEmpty)
        #expect(answer.bundleGroup?.isEmpty == false)
    }

    @Test("an offer without a fingerprint is refused (no unauthenticated DTLS)")
    func refusesOfferWithoutFingerprint() async throws {
        let text = try Self.fixture("aiortc-offer.sdp").split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("a=fingerprint") }.joined(separator: "\r\n")
        let pc = try RTCPeerConnection()
        await #expect(throws: RTCError.self) { try await pc.setRemoteDescription(RTCSessionDescription(type: .offer, sdp: text)) }
        await pc.close()
    }
}
