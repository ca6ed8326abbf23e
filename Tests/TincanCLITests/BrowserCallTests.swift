import Foundation
import Testing

/// A browser joins a `tincan-signal serve` room from the server's own page, and `tincan call`
/// is on the other end: each side decodes the other's video and audio (headless Chromium,
/// through scripts/browser-call/run; both orders of who offers).
@Suite(.serialized) struct BrowserCallTests {
    @Test("headless Chromium on the tincan-signal page <-> tincan call: both sides decode", arguments: [false, true])
    func browserCall(tincanAnswers: Bool) throws {
        guard let tincan = TincanBinary.path else { throw CLIError("tincan binary not found") }
        let signal = URL(fileURLWithPath: tincan).deletingLastPathComponent().appendingPathComponent("tincan-signal").path
        var arguments = ["--tincan", tincan, "--tincan-signal", signal, "--duration", "8"]
        if tincanAnswers { arguments.append("--tincan-answers") }
        let r = try InteropPairTests.runScript("scripts/browser-call/run", arguments)
        print("browser call (tincan \(tincanAnswers ? "answers" : "offers")): \(r.stdout.split(separator: "\n").last ?? "")")
        #expect(r.status == 0, "\(r.stdout.suffix(2000))\(r.stderr.suffix(3000))")
    }

    /// Issue #13's must-show: "Tincan adds a second video track mid-call and later removes
    /// it; the browser shows it, then ends it; then an ICE restart keeps the call." Both
    /// orders: tincan impolite (it offered first) and polite (it answered first, and its
    /// re-offers keep Chromium's payload types and extension ids).
    @Test("headless Chromium: tincan adds a second video track mid-call, removes it, restarts ICE; the page shows the track, ends it, and decodes on", arguments: [false, true])
    func browserRenegotiation(tincanAnswers: Bool) throws {
        guard let tincan = TincanBinary.path else { throw CLIError("tincan binary not found") }
        let signal = URL(fileURLWithPath: tincan).deletingLastPathComponent().appendingPathComponent("tincan-signal").path
        var arguments = ["--tincan", tincan, "--tincan-signal", signal, "--duration", "25", "--renegotiate"]
        if tincanAnswers { arguments.append("--tincan-answers") }
        let r = try InteropPairTests.runScript("scripts/browser-call/run", arguments)
        let line = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        print("browser renegotiation (tincan \(tincanAnswers ? "answers" : "offers")): \(line)")
        #expect(r.status == 0, "\(r.stdout.suffix(2000))\(r.stderr.suffix(3000))")
        let figures = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        let renegotiation = figures?["renegotiation"] as? [String: Any]
        #expect((renegotiation?["secondTrack"] as? [String: Any])?["framesDecoded"] as? Double ?? 0 >= 30, "\(renegotiation ?? [:])")
        #expect((renegotiation?["iceRestart"] as? [String: Any])?["framesDecodedIn3SAfter"] as? Double ?? 0 >= 45)
        #expect((renegotiation?["tincan"] as? [String: Any])?["failures"] as? Double == 0)
    }
}
