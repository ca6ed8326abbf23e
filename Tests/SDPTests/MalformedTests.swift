import Testing
@testable import SDP

/// Malformed input throws an SDPError naming the line; nothing traps.
@Suite struct MalformedTests {
    static let head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"

    /// (text after the 4 head lines, the 1-based line of the error, a word of the reason)
    static let cases: [(String, Int, String)] = [
        ("m=video\r\n", 5, "m="),
        ("m=video 9\r\n", 5, "m="),
        ("m=video x UDP/TLS/RTP/SAVPF 96\r\n", 5, "port"),
        ("m=video 70000 UDP/TLS/RTP/SAVPF 96\r\n", 5, "port"),
        ("m=video 9/0 RTP/AVP 96\r\n", 5, "port"),
        ("m=video 9 UDP/TLS/RTP/SAVPF 96 vp8\r\n", 5, "payload type"),
        ("m=video 9 UDP/TLS/RTP/SAVPF 128\r\n", 5, "payload type"),
        ("m=video 9 RTP/AVP 96\r\na=rtpmap:96 VP8\r\n", 6, "rtpmap"),
        ("m=video 9 RTP/AVP 96\r\na=rtpmap:96 VP8/fast\r\n", 6, "clock"),
        ("m=video 9 RTP/AVP 96\r\na=rtpmap:300 VP8/90000\r\n", 6, "payload type"),
        ("m=audio 9 RTP/AVP 111\r\na=rtpmap:111 opus/48000/0\r\n", 6, "channel"),
        ("m=video 9 RTP/AVP 96\r\na=rtpmap\r\n", 6, "value"),
        ("m=video 9 RTP/AVP 96\r\na=fmtp:x apt=1\r\n", 6, "payload type"),
        ("m=video 9 RTP/AVP 96\r\na=rtcp-fb:96\r\n", 6, "feedback"),
        ("m=video 9 RTP/AVP 96\r\na=rtcp-fb:abc nack\r\n", 6, "payload type"),
        ("m=video 9 RTP/AVP 96\r\na=extmap:0 urn:x\r\n", 6, "extmap"),
        ("m=video 9 RTP/AVP 96\r\na=extmap:1/upward urn:x\r\n", 6, "direction"),
        ("m=video 9 RTP/AVP 96\r\na=extmap:3\r\n", 6, "extmap"),
        ("a=fingerprint:sha-256\r\n", 5, "fingerprint"),
        ("a=fingerprint:sha-256 AB:CD\r\n", 5, "octets"),
        ("a=fingerprint:sha-256 GG:00\r\n", 5, "octet"),
        ("a=setup:sideways\r\n", 5, "setup"),
        ("m=video 9 RTP/AVP 96\r\na=ssrc:abc cname:x\r\n", 6, "SSRC"),
        ("m=video 9 RTP/AVP 96\r\na=ssrc:4294967296 cname:x\r\n", 6, "SSRC"),
        ("m=video 9 RTP/AVP 96\r\na=ssrc:1\r\n", 6, "attribute"),
        ("m=video 9 RTP/AVP 96\r\na=ssrc-group:FID 1 x\r\n", 6, "ssrc-group"),
        ("m=video 9 RTP/AVP 96\r\na=mid:\r\n", 6, "value"),
        ("a=ice-ufrag:\r\n", 5, "value"),
        ("c=IN IP4\r\n", 5, "c="),
        ("b=AS\r\n", 5, "b="),
        ("b=AS:lots\r\n", 5, "b="),
        ("x=unknown\r\n", 5, "unknown"),
        ("garbage\r\n", 5, "expected"),
        ("=novalue\r\n", 5, "expected"),
        ("v=0\r\n", 5, "v="),
        ("o=- 1 1 IN IP4 0.0.0.0\r\n", 5, "o="),
        ("m=audio 9 RTP/AVP 0\r\ns=late\r\n", 6, "session-level"),
        ("m=audio 9 RTP/AVP 0\r\nu=http://late\r\n", 6, "session-level"),
        ("m=audio 9 RTP/AVP 0\r\na=mid:a\r\nm=video 9 RTP/AVP 96\r\na=mid:b\r\nm=video 9 RTP/AVP 96\r\na=mid:a\r\n", 10, "second media section"),
        ("m=video 9 RTP/AVP 96 97\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:96 VP9/90000\r\n", 7, "second a=rtpmap"),
    ]

    @Test(arguments: 0..<cases.count)
    func malformedLineIsNamed(_ index: Int) throws {
        let (body, line, word) = Self.cases[index]
        let error = try #require(parseError(Self.head + body), "accepted: \(body)")
        #expect(error.line == line, "\(body) -> \(error)")
        #expect(error.reason.lowercased().contains(word.lowercased()), "\(body) -> \(error)")
        #expect(error.description.hasPrefix("SDP line \(line):"))
    }

    @Test func firstLineMustBeVersionZero() {
        #expect(parseError("o=- 1 1 IN IP4 0.0.0.0\r\n")?.line == 1)
        #expect(parseError("v=1\r\n")?.line == 1)
        #expect(parseError("\n\nv=2\n")?.line == 3)
        #expect(parseError("") == SDPError("empty description: no v=0 line"))
        #expect(parseError("\r\n \r\n") != nil)
    }

    @Test func oversizedInputIsRefused() {
        let huge = "v=0\r\n" + String(repeating: "a=x-padding:0123456789abcdef0123456789abcdef\r\n", count: 8000)
        #expect(parseError(huge)?.reason.contains("limit") == true)
    }

    @Test func sameRTPMapInTwoSectionsIsFine() throws {
        let text = Self.head + "m=video 9 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\nm=video 9 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"
        #expect(try SessionDescription.parse(text).media.count == 2)
    }

    /// Every truncation of a real offer (every 5th byte) parses or throws; none traps.
    @Test func truncationsNeverTrap() throws {
        let text = Array(try Fixture.text("chromium-offer.sdp").utf8)
        var refused = 0
        for end in stride(from: 0, to: text.count, by: 5) {
            if parseError(String(decoding: text[..<end], as: UTF8.self)) != nil { refused += 1 }
        }
        // Cut inside a line, most prefixes are still lines of their own kind; some are not.
        #expect(refused > 10)
    }

    @Test func nonRTPSectionsSkipCodecChecks() throws {
        // A data channel m-line's format is a name, not a payload type.
        let sdp = try SessionDescription.parse(Self.head + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=rtpmap:oops\r\n")
        #expect(sdp.media[0].codecs.isEmpty)
    }

    /// Random byte-level mutations of every fixture: each parse either succeeds or throws an
    /// SDPError with a line number inside the text; whatever parses also round-trips.
    @Test func randomMutationsNeverTrap() throws {
        var rng = SplitMix64(seed: 0x7D1C_A11E)
        let alphabet = Array("=: /\r\n\t0123456789abcxyzAVPRT-*;".utf8) + [0x00, 0xFF, 0xC3]
        var parsed = 0, refused = 0
        for name in Fixture.all {
            let original = Array(try Fixture.text(name).utf8)
            for _ in 0..<70 {
                var bytes = original
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    guard !bytes.isEmpty else { break }
                    let at = Int(rng.next() % UInt64(bytes.count))
                    switch rng.next() % 4 {
                    case 0: bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                    case 1: bytes.remove(at: at)
                    case 2: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                    default: bytes.removeSubrange(at..<min(bytes.count, at + Int(rng.next() % 40)))
                    }
                }
                let text = String(decoding: bytes, as: UTF8.self)
                do {
                    let sdp = try SessionDescription.parse(text)
                    parsed += 1
                    #expect(try SessionDescription.parse(sdp.sdpText) == sdp)
                    _ = sdp.media.map { ($0.codecs, $0.headerExtensions, $0.ssrcs, $0.ssrcGroups, $0.fingerprints) }
                } catch {
                    refused += 1
                    let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }.count
                    if let line = error.line { #expect((1...lines).contains(line), "\(error)") }
                }
            }
        }
        // Both outcomes happen: the mutations are neither all harmless nor all fatal.
        #expect(parsed > 50 && refused > 50, "parsed \(parsed), refused \(refused)")
    }
}

/// A small deterministic generator, so a failing mutation can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
