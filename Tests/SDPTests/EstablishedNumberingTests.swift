import SDP
import Testing

/// A later offer keeps the session's payload types and extension ids (RFC 8829 §5.2.2): the
/// side that answered Chromium's offer and offers a new video section must write VP8, its
/// RTX and the extensions under Chromium's numbers, and a codec the session lacks must not
/// take a number the session gave another.
@Suite struct EstablishedNumberingTests {
    @Test func aReofferUsesTheNumbersOfChromiumsOffer() throws {
        let chromium = try Fixture.parse("chromium-offer.sdp")
        let numbering = EstablishedNumbering([chromium])
        let ours = Tincan.video()
        let renumbered = numbering.applied(to: ours)
        let chromiumVideo = try #require(chromium.media.first { $0.kind == .video })
        for codec in renumbered.codecs where !codec.isRetransmission {
            let theirs = try #require(chromiumVideo.codecs.first { $0.name.lowercased() == codec.name.lowercased() && $0.clockRate == codec.clockRate })
            #expect(codec.payloadType == theirs.payloadType, "\(codec.name) at \(codec.payloadType), Chromium's \(theirs.payloadType)")
            if let rtx = renumbered.codecs.first(where: { $0.isRetransmission && $0.apt == codec.payloadType }),
               let theirRTX = chromiumVideo.codecs.first(where: { $0.isRetransmission && $0.apt == theirs.payloadType }) {
                #expect(rtx.payloadType == theirRTX.payloadType, "RTX of \(codec.name)")
            }
        }
        let chromiumExtensions = Dictionary(chromium.media.flatMap(\.headerExtensions).map { ($0.uri, $0.id) }, uniquingKeysWith: { a, _ in a })
        for e in renumbered.headerExtensions {
            if let id = chromiumExtensions[e.uri] { #expect(e.id == id, "\(e.uri)") } else {
                #expect(!chromiumExtensions.values.contains(e.id), "\(e.uri) took id \(e.id), which Chromium gave another extension")
            }
        }
        #expect(Set(renumbered.codecs.map(\.payloadType)).count == renumbered.codecs.count, "no payload type twice")
        // Our own numbering stays ours.
        let tincan = EstablishedNumbering([SessionDescription.offer(capabilities: [ours], transport: LocalTransport(
            iceUfrag: "abcd", icePwd: String(repeating: "p", count: 22), fingerprints: []))])
        #expect(tincan.applied(to: ours) == ours)
    }

    @Test func aNewCodecMovesOffATakenPayloadType() {
        var session = SessionDescription(origin: Origin(sessionID: "1"))
        var section = MediaDescription(kind: .video, port: 9, proto: "UDP/TLS/RTP/SAVPF")
        section.codecs = [RTPCodec(payloadType: 96, name: "H264", clockRate: 90000)]
        session.media = [section]
        let ours = MediaCapabilities(kind: .video, codecs: [RTPCodec(payloadType: 96, name: "VP8", clockRate: 90000),
                                                             .rtx(payloadType: 97, for: 96)])
        let renumbered = EstablishedNumbering([session]).applied(to: ours)
        #expect(renumbered.codecs[0].payloadType != 96, "96 is the session's H264")
        #expect(renumbered.codecs[1].apt == renumbered.codecs[0].payloadType, "the RTX follows its primary")
    }
}
