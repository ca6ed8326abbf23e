// The SDP parser (docs/DESIGN.md, "Testing", fuzzing) and the answer built from what parses.
// Whatever the bytes: parse returns or throws an SDPError (never traps), and what parses
// writes back to text that parses to the same description; then Tincan answers it with
// what the codec registry offers (the product's own capabilities).

import PeerConnection
import SDP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let parsed = try? SessionDescription.parse(text) else { return 0 }
    for index in parsed.media.indices {
        let m = parsed.media[index]
        _ = (m.codecs, m.headerExtensions, m.ssrcs, m.ssrcGroups, m.msids, m.fingerprints, m.setup)
        _ = parsed.transport(forMediaAt: index)
    }
    guard let again = try? SessionDescription.parse(parsed.sdpText), again == parsed else {
        fatalError("round trip changed the description")
    }
    let codecs = RTCRtpCodecRegistry.tincan
    _ = parsed.answer(capabilities: [codecs.capabilities(for: .video, direction: .sendrecv),
                                     codecs.capabilities(for: .audio, direction: .sendrecv)],
                      transport: LocalTransport(iceUfrag: "fuzz", icePwd: "fuzzfuzzfuzzfuzzfuzzfuzz", fingerprints: []))
    return 0
}
