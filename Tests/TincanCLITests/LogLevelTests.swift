import Foundation
import Testing

/// `--log-level` (issue #12, "Logs and counters instead of silence"): debug shows ICE checks,
/// the DTLS handshake and RTCP feedback as they happen, on stderr; stdout stays the report.
@Suite(.serialized) struct LogLevelTests {
    @Test("loopback --log-level debug: STUN Binding checks (tincan.ice), DTLS flights and their end (tincan.dtls), NACKs on a lossy link (tincan.rtp)")
    func debugShowsTheCall() throws {
        let r = try TincanBinary.run(["loopback", "--duration", "3", "--link", "2mbit,40ms,8%", "--log-level", "debug",
                                      "--constraints", #"{"video": {"width": 320, "height": 240, "frameRate": 30}}"#])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        func has(_ label: String, _ text: String) -> Bool { lines.contains { $0.contains(" \(label):") && $0.contains(text) } }
        #expect(has("tincan.ice", "Binding request"), "\(r.stderr.prefix(4000))")
        #expect(has("tincan.ice", "Binding success response"))
        #expect(has("tincan.ice", "USE-CANDIDATE") || has("tincan.ice", "selected pair"))
        #expect(has("tincan.dtls", "sent ClientHello") && has("tincan.dtls", "received ClientHello"))
        #expect(has("tincan.dtls", "ServerHello, Certificate"))
        #expect(has("tincan.dtls", "handshake complete"))
        #expect(has("tincan.rtp", "sent NACK") && has("tincan.rtp", "received NACK"), "no NACK logged at 8% loss")
        #expect(has("tincan.peerconnection", "connection state connected"))
        // Logs go to stderr only: the report on stdout has none.
        #expect(r.stdout.contains("video:") && !r.stdout.contains("tincan.ice"))
    }

    @Test("loopback --log-level debug on a thin link: the estimator's target steps (tincan.rtp) and each rung the video takes, with its reason (tincan.codecs)")
    func debugShowsTheAdaptation() throws {
        let r = try TincanBinary.run(["loopback", "--duration", "4", "--link", "300kbit,50ms", "--log-level", "debug",
                                      "--constraints", #"{"video": {"width": 1280, "height": 720}}"#])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        func has(_ label: String, _ text: String) -> Bool { lines.contains { $0.contains(" \(label):") && $0.contains(text) } }
        #expect(has("tincan.rtp", "target ") && has("tincan.rtp", "limited by"), "\(r.stderr.prefix(4000))")
        // 720p does not fit 300 kbit/s: the ladder steps down at once, for the bandwidth.
        #expect(has("tincan.codecs", "video adapts to") && has("tincan.codecs", "(bandwidth; target"), "\(r.stderr.prefix(4000))")
    }

    @Test("without --log-level nothing routine is logged; an unknown level is a usage error")
    func defaultAndBadLevel() throws {
        let r = try TincanBinary.run(["loopback", "--duration", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("tincan.ice") && !r.stderr.contains("tincan.dtls") && !r.stderr.contains(" debug "), "\(r.stderr)")
        let bad = try TincanBinary.run(["select", "--fake-devices", "--log-level", "loud", "--constraints", "{}"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--log-level"))
    }
}
