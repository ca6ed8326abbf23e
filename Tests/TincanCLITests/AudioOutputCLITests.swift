import Foundation
import LinuxCapture
import Testing

/// `tincan call --audio-output`: the other side's audio on an ALSA device, as a person hears
/// it; a device that cannot be opened is one warning and the call goes on.
@Suite(.serialized) struct AudioOutputCLITests {
    /// Starts `tincan` with `environment` added to this process's.
    static func start(_ arguments: [String], environment: [String: String], in dir: URL, name: String) throws -> (Process, URL, URL) {
        guard let path = TincanBinary.path else { throw CLIError("tincan binary not found") }
        let out = dir.appendingPathComponent("\(name).out"), err = dir.appendingPathComponent("\(name).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return (p, out, err)
    }

    static func wait(_ p: Process, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning { p.terminate(); return false }
        return true
    }

    @Test("two tincan calls: one plays the other's 440 Hz tone through ALSA (the file plugin) without gaps; one has no such device, warns once and goes on")
    func callPlaysTheOtherSide() throws {
        guard let tincan = TincanBinary.path else { throw CLIError("tincan binary not found") }
        let signalPath = URL(fileURLWithPath: tincan).deletingLastPathComponent().appendingPathComponent("tincan-signal").path
        guard FileManager.default.isExecutableFile(atPath: signalPath) else { throw CLIError("tincan-signal not built next to tincan") }
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let speaker = dir.appendingPathComponent("speaker.raw").path
        try "pcm.tincan_cli_speaker { type file slave.pcm \"null\" file \"\(speaker)\" format \"raw\" }\n"
            .write(to: dir.appendingPathComponent("asoundrc"), atomically: true, encoding: .utf8)
        let alsa = ["ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf:\(dir.path)/asoundrc"]

        let port = CallCommandTests.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: signalPath)
        server.arguments = ["serve", "--listen", "127.0.0.1:\(port)"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        Thread.sleep(forTimeInterval: 1)
        let common = ["call", "--fake-devices", "--allow", "camera,microphone", "--signal", "ws://127.0.0.1:\(port)", "--room", "speakers",
                      "--duration", "4", "--constraints", #"{"video": {"width": 320, "height": 240}, "audio": true}"#]
        let statsPath = dir.appendingPathComponent("offerer-stats.json")
        let (offerer, offererOut, offererErr) = try Self.start(common + ["--audio-output", "tincan_cli_speaker", "--stats-json", statsPath.path], environment: alsa, in: dir, name: "offerer")
        let (answerer, _, answererErr) = try Self.start(common + ["--answer", "--audio-output", "tincan_no_such_pcm"], environment: alsa, in: dir, name: "answerer")
        let offererExited = Self.wait(offerer, seconds: 40), answererExited = Self.wait(answerer, seconds: 40)
        let offererStderr = (try? String(contentsOf: offererErr, encoding: .utf8)) ?? ""
        let answererStderr = (try? String(contentsOf: answererErr, encoding: .utf8)) ?? ""
        #expect(offererExited && offerer.terminationStatus == 0, "offerer: \(offererStderr)")
        #expect(answererExited && answerer.terminationStatus == 0, "answerer: \(answererStderr)")

        // The device that is not there: said once, with its name; the call went on.
        let warnings = answererStderr.components(separatedBy: "\n").filter { $0.contains("cannot play the received audio") }
        #expect(warnings.count == 1 && warnings.first?.contains("tincan_no_such_pcm") == true, "answerer: \(answererStderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(((try? String(contentsOf: offererOut, encoding: .utf8)) ?? "").utf8)) as? [String: Any]
        let received = summary?["received"] as? [String: Any]
        #expect((received?["audioFramesDecoded"] as? Int ?? 0) >= 100)

        // What the offerer's speaker played: the answerer's 440 Hz (stereo Opus, channel 0).
        let data = (try? Data(contentsOf: URL(fileURLWithPath: speaker))) ?? Data()
        let all = data.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        let mono = stride(from: 0, to: max(0, all.count - 1), by: 2).map { all[$0] }
        let blocks = ToneFrequency.blocksWithoutTone(mono, frequency: 440)
        let total = mono.count / 480
        let onset = (0..<total).first { !blocks.contains($0) } ?? total
        let gaps = blocks.filter { $0 > onset + 2 && $0 < total - 3 }
        // Every block has the tone but those the jitter buffer concealed (counted in getStats:
        // none on a clean link unless the machine stalls the call's threads).
        let stats = (try? JSONSerialization.jsonObject(with: Data(contentsOf: statsPath))) ?? [:]
        let concealed = Self.inboundAudio(in: stats)?["concealedSamples"] as? Double
        let concealedBlocks = Int(((concealed ?? 0) / 480).rounded(.up))
        print("tincan call --audio-output: \(total) blocks played, tone from block \(onset), \(gaps.count) blocks without it, \(concealedBlocks) concealed")
        #expect(concealed != nil, "no concealedSamples in the offerer's inbound-rtp audio")
        #expect(total - onset >= 250, "\(total - onset) blocks of tone in \(speaker): \(offererStderr)")
        #expect(gaps.count <= concealedBlocks, "blocks without the 440 Hz tone after its onset (block \(onset) of \(total)) not concealed by the jitter buffer: \(gaps)")
        #expect(concealedBlocks <= total / 20, "\(concealedBlocks) of \(total) blocks concealed on a clean link")
    }

    /// The inbound-rtp audio entry of a `--stats-json` file.
    static func inboundAudio(in json: Any) -> [String: Any]? {
        if let d = json as? [String: Any] {
            if d["type"] as? String == "inbound-rtp", d["kind"] as? String == "audio" { return d }
            for v in d.values { if let found = inboundAudio(in: v) { return found } }
        } else if let a = json as? [Any] {
            for v in a { if let found = inboundAudio(in: v) { return found } }
        }
        return nil
    }

    @Test("--audio-output with --no-audio-output is refused")
    func conflictingOptions() throws {
        let r = try TincanBinary.run(["call", "--fake-devices", "--copy-paste", "--audio-output", "default", "--no-audio-output"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--no-audio-output"), "\(r.stderr)")
    }
}
