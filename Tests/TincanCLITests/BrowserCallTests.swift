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
        var arguments = [InteropPairTests.root.appendingPathComponent("scripts/browser-call/run").path,
                         "--tincan", tincan, "--tincan-signal", signal, "--duration", "8"]
        if tincanAnswers { arguments.append("--tincan-answers") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + arguments
        p.currentDirectoryURL = InteropPairTests.root
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        let stdout = String(decoding: outData, as: UTF8.self)
        print("browser call (tincan \(tincanAnswers ? "answers" : "offers")): \(stdout.split(separator: "\n").last ?? "")")
        #expect(p.terminationStatus == 0, "\(stdout.suffix(2000))\(String(decoding: errData, as: UTF8.self).suffix(3000))")
    }
}
