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
}
