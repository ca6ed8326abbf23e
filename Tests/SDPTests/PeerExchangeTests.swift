import Foundation
import Testing
@testable import SDP

/// Tincan's side of an exchange with a real peer, driven by scripts/sdp/peer-acceptance.py:
/// for every `<peer>-offer.sdp` in the folder it writes `<peer>-answer-by-tincan.sdp`, and it
/// writes `tincan-offer.sdp` for the peers to answer; the script then hands those to aiortc,
/// webrtcbin and Chromium (setRemoteDescription) and checks what they say back with
/// `<peer>-answer-to-tincan.sdp`. Without TINCAN_SDP_EXCHANGE_DIR it runs on the captured
/// offers in Fixtures/.
@Suite struct PeerExchangeTests {
    static let transport = LocalTransport(
        iceUfrag: "TnCn", icePwd: "tincan-ice-password-0123",
        fingerprints: [SDPFingerprint(hashFunction: "sha-256", value:
            "7B:23:A7:9D:F6:55:A2:7D:F7:8D:4D:C9:F2:1D:F5:FD:85:1C:38:E3:2E:48:FF:3B:2B:93:7F:3E:8D:B8:1B:C0")],
        candidates: ["1 1 udp 2130706431 127.0.0.1 50000 typ host"], endOfCandidates: true)

    static var folder: URL? {
        if let path = ProcessInfo.processInfo.environment["TINCAN_SDP_EXCHANGE_DIR"] { return URL(fileURLWithPath: path) }
        return Bundle.module.url(forResource: "Fixtures", withExtension: nil)
    }

    @Test func answerEveryOfferAndWriteAnOffer() throws {
        let folder = try #require(Self.folder)
        let exchange = ProcessInfo.processInfo.environment["TINCAN_SDP_EXCHANGE_DIR"] != nil
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix("-offer.sdp") && !$0.hasPrefix("tincan") }
        #expect(!names.isEmpty)
        for name in names.sorted() {
            let offer = try SessionDescription.parse(String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))
            let answer = offer.answer(capabilities: [Tincan.video(direction: .recvonly), Tincan.audio(direction: .recvonly)],
                                      transport: Self.transport, origin: Origin(sessionID: "4611686018427387904"))
            let negotiated = try answer.negotiated(answering: offer)
            #expect(negotiated.contains { !$0.isRejected }, "\(name): everything rejected")
            if exchange {
                let out = folder.appendingPathComponent(name.replacingOccurrences(of: "-offer.sdp", with: "-answer-by-tincan.sdp"))
                try answer.sdpText.write(to: out, atomically: true, encoding: .utf8)
            }
        }
        let offer = SessionDescription.offer(capabilities: [Tincan.video(direction: .sendonly), Tincan.audio(direction: .sendonly)],
                                             transport: Self.transport, origin: Origin(sessionID: "4611686018427387904"))
        if exchange {
            try offer.sdpText.write(to: folder.appendingPathComponent("tincan-offer.sdp"), atomically: true, encoding: .utf8)
            // The peers' answers to the previous run's offer, when the script left them.
            for peer in ["aiortc", "chromium", "gstreamer"] {
                let url = folder.appendingPathComponent("\(peer)-answer-to-tincan.sdp")
                guard let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
                let negotiated = try offer.negotiated(withAnswer: SessionDescription.parse(text))
                #expect(negotiated.allSatisfy { !$0.isRejected && $0.direction == .sendonly }, "\(peer): \(negotiated)")
            }
        }
    }
}
