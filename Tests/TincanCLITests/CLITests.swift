import Foundation
import LinuxCapture
import Testing
import MediaCapture

/// Runs the built `tincan` binary as a subprocess.
enum TincanBinary {
    /// The executable: $TINCAN_BINARY, else next to the test bundle, else in the package's
    /// .build directory (debug, then release).
    static let path: String? = {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["TINCAN_BINARY"], fm.isExecutableFile(atPath: env) { return env }
        var candidates: [URL] = []
        let testBinary = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        var dir = testBinary.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("tincan"))
            dir = dir.deletingLastPathComponent()
        }
        for b in Bundle.allBundles { candidates.append(b.bundleURL.deletingLastPathComponent().appendingPathComponent("tincan")) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/tincan"))
        candidates.append(root.appendingPathComponent(".build/release/tincan"))
        return candidates.map(\.path).first { fm.isExecutableFile(atPath: $0) && !$0.hasSuffix(".xctest") }
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var json: [String: Any]? {
            guard let data = stdout.data(using: .utf8) else { return nil }
            return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        }
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        guard let path else {
            throw CLIError("tincan binary not found; build it with `swift build --product tincan` or set TINCAN_BINARY")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // Read both pipes while the process runs so neither can fill up and block it.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// Runs a tool from Debian's packages (vpx-tools, opus-tools; scripts/install-deps --tests installs
/// them), returning its exit status and combined output.
enum DebianTool {
    static func run(_ name: String, _ args: [String]) throws -> (status: Int32, output: String) {
        let path = ["/usr/bin/", "/usr/local/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else { throw CLIError("\(name) not found: run scripts/install-deps --tests") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tincan-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite struct SelectCommandTests {
    @Test("select: Chromium reference 1280x720 at 10 fps, exit 0")
    func success() throws {
        let r = try TincanBinary.run(["select", "--fake-devices", "--constraints",
                                      #"{"video": {"width": 1280, "height": 720, "frameRate": {"ideal": 10, "max": 15}}, "audio": true}"#])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(r.json)
        #expect(j["ok"] as? Bool == true)
        let v = try #require(j["video"] as? [String: Any])
        #expect(v["width"] as? Int == 1280 && v["height"] as? Int == 720 && v["frameRate"] as? Double == 10)
        let a = try #require(j["audio"] as? [String: Any])
        // The synthetic tone's processing is off by default (AudioProcessingDefaults: Chromium's
        // fake microphone would say true); asked for, it is on.
        #expect(a["sampleRate"] as? Int == 48000 && a["echoCancellation"] as? Bool == false)
        #expect((j["apply"] as? [Any])?.isEmpty == true)
        let asked = try TincanBinary.run(["select", "--fake-devices", "--constraints", #"{"audio": {"echoCancellation": true}}"#])
        #expect((asked.json?["audio"] as? [String: Any])?["echoCancellation"] as? Bool == true, "\(asked.stdout)")
    }

    @Test("select: OverconstrainedError width, exit 1")
    func overconstrained() throws {
        let r = try TincanBinary.run(["select", "--fake-devices", "--constraints", #"{"video": {"width": {"min": 5000}}}"#])
        #expect(r.status == 1)
        let j = try #require(r.json)
        #expect(j["ok"] as? Bool == false)
        #expect(j["error"] as? String == "OverconstrainedError")
        #expect(j["constraint"] as? String == "width")
        #expect((j["message"] as? String)?.isEmpty == false)
    }

    @Test("select: {} and {audio:false, video:false} are TypeError, exit 1", arguments: ["{}", #"{"audio": false, "video": false}"#, "{nope"])
    func typeError(_ constraints: String) throws {
        let r = try TincanBinary.run(["select", "--fake-devices", "--constraints", constraints])
        #expect(r.status == 1)
        #expect(r.json?["error"] as? String == "TypeError")
    }

    @Test("select: --deny camera is NotAllowedError, exit 1; the microphone alone still resolves")
    func deny() throws {
        let r = try TincanBinary.run(["select", "--fake-devices", "--deny", "camera", "--constraints", #"{"video": true, "audio": true}"#])
        #expect(r.status == 1)
        #expect(r.json?["error"] as? String == "NotAllowedError")
        // The hint is the CLI's (StaticPermissions.hint); the library's message names no flag.
        #expect((r.json?["message"] as? String)?.contains("remove --deny") == true, "\(r.stdout)")
        let ok = try TincanBinary.run(["select", "--fake-devices", "--deny", "camera", "--constraints", #"{"audio": true}"#])
        #expect(ok.status == 0)
        #expect(ok.json?["video"] == nil)
    }

    @Test("select: usage errors exit 2", arguments: [
        ["select", "--fake-devices"], ["select", "--constraints"], ["select", "--bogus", "--constraints", "{}"],
        ["select", "--fake-devices", "--deny", "speaker", "--constraints", #"{"video":true}"#],
        ["select", "--devices-file", "/nonexistent.json", "--constraints", #"{"video":true}"#],
    ])
    func usage(_ args: [String]) throws {
        let r = try TincanBinary.run(args)
        #expect(r.status == 2, "\(r.stdout) \(r.stderr)")
    }

    @Test("select: applyConstraints in order; a failure keeps the settings")
    func apply() throws {
        let r = try TincanBinary.run(["select", "--fake-devices", "--constraints", #"{"video": true, "audio": true}"#,
                                      "--apply-video", #"{"width": {"exact": 320}, "height": {"exact": 240}}"#,
                                      "--apply-audio", #"{"channelCount": {"exact": 2}}"#,
                                      "--apply-video", #"{"width": {"min": 9999}}"#])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(r.json)
        let apply = try #require(j["apply"] as? [[String: Any]])
        #expect(apply.count == 3)
        #expect(apply[0]["ok"] as? Bool == true)
        #expect((apply[0]["settings"] as? [String: Any])?["width"] as? Int == 320)
        #expect((apply[1]["settings"] as? [String: Any])?["channelCount"] as? Int == 2)
        #expect(apply[2]["ok"] as? Bool == false)
        #expect(apply[2]["error"] as? String == "OverconstrainedError" && apply[2]["constraint"] as? String == "width")
        // The top level is what getUserMedia resolved with, before the applies.
        #expect((j["video"] as? [String: Any])?["width"] as? Int == 640)
    }

    @Test("select: no devices at all is NotFoundError suggesting --fake-devices")
    func noDevices() throws {
        let r = try TincanBinary.run(["select", "--constraints", #"{"video": true}"#])
        #expect(r.status == 1)
        #expect(r.json?["error"] as? String == "NotFoundError")
        #expect((r.json?["message"] as? String)?.contains("--fake-devices") == true)
    }

    @Test("select: --devices-file with two cameras; facingMode exact environment; capture disabled is SecurityError")
    func devicesFile() throws {
        let dir = try temporaryDirectory()
        let file = dir.appendingPathComponent("devices.json")
        try #"""
        {"devices": [
          {"deviceId": "front", "kind": "videoinput", "label": "Front", "groupId": "g0", "facingMode": "user",
           "modes": [{"width": 1280, "height": 720, "frameRate": 30, "pixelFormat": "NV12"}], "resizeModes": ["none", "crop-and-scale"]},
          {"deviceId": "back", "kind": "videoinput", "label": "Back", "groupId": "g1", "facingMode": "environment",
           "modes": [{"width": 640, "height": 480, "frameRate": 30}], "resizeModes": ["none"]},
          {"deviceId": "mic0", "kind": "audioinput", "label": "Mic", "groupId": "g0", "sampleRate": [48000], "sampleSize": [16],
           "channelCount": [1, 2], "echoCancellation": [true, false], "autoGainControl": [true, false],
           "noiseSuppression": [true, false], "latency": [0.01], "defaults": {"channelCount": 1}}
        ]}
        """#.write(to: file, atomically: true, encoding: .utf8)
        let r = try TincanBinary.run(["select", "--devices-file", file.path, "--constraints", #"{"video": {"facingMode": {"exact": "environment"}}}"#])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect((r.json?["video"] as? [String: Any])?["deviceId"] as? String == "back")
        let d = try TincanBinary.run(["devices", "--devices-file", file.path, "--json"])
        #expect(d.status == 0)
        let list = try JSONSerialization.jsonObject(with: Data(d.stdout.utf8)) as? [[String: Any]]
        #expect(list?.map { $0["deviceId"] as? String } == ["front", "back", "mic0"])
        let s = try TincanBinary.run(["select", "--devices-file", file.path, "--constraints", #"{"video": true}"#],
                                     environment: ["TINCAN_CAPTURE_DISABLED": "1"])
        #expect(s.status == 1)
        #expect(s.json?["error"] as? String == "SecurityError")
        try? FileManager.default.removeItem(at: dir)
    }

    @Test("--help teaches with examples")
    func help() throws {
        let r = try TincanBinary.run(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Examples:") && r.stdout.contains("--fake-devices"))
        let s = try TincanBinary.run(["select", "--help"])
        #expect(s.stdout.contains("--apply-video"))
    }
}

@Suite struct CaptureCommandTests {
    @Test("capture: the demo's command writes Y4M and WAV files that the readers accept")
    func captureToFiles() throws {
        let dir = try temporaryDirectory()
        let y4m = dir.appendingPathComponent("out/camera.y4m").path, wav = dir.appendingPathComponent("out/microphone.wav").path
        let r = try TincanBinary.run(["capture", "--fake-devices", "--allow", "camera,microphone", "--constraints",
                                      #"{"video": {"width": 640, "height": 480, "frameRate": {"ideal": 10, "max": 15}}, "audio": true}"#,
                                      "--duration", "1", "--video-out", y4m, "--audio-out", wav],
                                     environment: ["XDG_CONFIG_HOME": dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("video:") && r.stdout.contains("audio:"))
        #expect(r.stderr.contains("CAMERA ON") && r.stderr.contains("camera off"), "indicator on stderr")
        let video = try Y4MReader(path: y4m)
        #expect(video.width == 640 && video.height == 480 && video.frameRate == 10)
        var frames = 0, numbers: [Int] = []
        while let f = try video.nextFrame() {
            frames += 1
            if let n = SyntheticPattern.readFrameNumber(from: f) { numbers.append(n) }
        }
        #expect((8...13).contains(frames), "\(frames) frames in 1 s at 10 fps")
        #expect(numbers.count == frames)
        #expect(zip(numbers.dropFirst(), numbers).allSatisfy { $0 - $1 == 3 })
        let audio = try WAVReader(path: wav)
        #expect(audio.sampleRate == 48000 && audio.channelCount == 1)
        let seconds = Double(audio.samples.count) / 48000
        #expect(seconds > 0.9 && seconds < 1.2, "\(seconds) s of audio")
        // The 440 Hz tone as the fake microphone makes it (its processing is off by default;
        // a noise suppressor would lower a steady tone by 10-19 dB).
        let frequency = ToneFrequency.estimate(audio.samples, sampleRate: 48000) ?? 0
        #expect(abs(frequency - 440) < 2 && ToneFrequency.rms(audio.samples) > 500, "the tone is there: \(frequency) Hz, RMS \(ToneFrequency.rms(audio.samples))")
        try? FileManager.default.removeItem(at: dir)
    }

    @Test("capture: without --allow (and no terminal) it is NotAllowedError saying how to grant, exit 1")
    func notAllowed() throws {
        let dir = try temporaryDirectory()
        let r = try TincanBinary.run(["capture", "--fake-devices", "--constraints", #"{"video": true}"#, "--duration", "0.2", "--json"],
                                     environment: ["XDG_CONFIG_HOME": dir.path])
        #expect(r.status == 1)
        #expect(r.json?["error"] as? String == "NotAllowedError")
        #expect(r.stderr.contains("--allow camera"), "the CLI's howToGrant")
        #expect(!r.stderr.contains("CAMERA ON"), "no device opened")
        let denied = try TincanBinary.run(["capture", "--fake-devices", "--deny", "camera", "--constraints", #"{"video": true}"#,
                                           "--duration", "0.2", "--json"], environment: ["XDG_CONFIG_HOME": dir.path])
        #expect(denied.status == 1)
        #expect(denied.stderr.contains("(--deny camera)"), "the CLI's whyDenied: \(denied.stderr)")
        try? FileManager.default.removeItem(at: dir)
    }

    @Test("permissions: a stored grant lets capture run; --revoke all removes it")
    func permissionsStore() throws {
        let dir = try temporaryDirectory()
        let env = ["XDG_CONFIG_HOME": dir.path]
        let g = try TincanBinary.run(["permissions", "--grant", "microphone"], environment: env)
        #expect(g.status == 0 && g.stdout.contains("microphone: always allowed"))
        let c = try TincanBinary.run(["capture", "--fake-devices", "--constraints", #"{"audio": true}"#, "--duration", "0.2", "--json"], environment: env)
        #expect(c.status == 0, "\(c.stderr)")
        #expect((c.json?["audio"] as? [String: Any])?["sampleRate"] as? Int == 48000)
        let v = try TincanBinary.run(["permissions", "--revoke", "all"], environment: env)
        #expect(v.stdout.contains("microphone: ask"))
        let d = try TincanBinary.run(["capture", "--fake-devices", "--constraints", #"{"audio": true}"#, "--duration", "0.2"], environment: env)
        #expect(d.status == 1)
        try? FileManager.default.removeItem(at: dir)
    }

    @Test("capture: --video-file plays a Y4M file through crop-and-scale")
    func videoFile() throws {
        let dir = try temporaryDirectory()
        let input = dir.appendingPathComponent("in.y4m").path, output = dir.appendingPathComponent("out.y4m").path
        let w = try Y4MWriter(path: input, width: 320, height: 240, frameRate: 20)
        for n in 0..<5 { try w.write(SyntheticPattern.frame(width: 320, height: 240, frameNumber: n, timestamp: 0)) }
        try w.close()
        let r = try TincanBinary.run(["capture", "--video-file", input, "--allow", "camera", "--constraints",
                                      #"{"video": {"width": {"exact": 160}, "frameRate": {"exact": 10}}}"#,
                                      "--duration", "0.6", "--video-out", output])
        #expect(r.status == 0, "\(r.stderr)")
        let reader = try Y4MReader(path: output)
        #expect(reader.width == 160 && reader.height == 120 && reader.frameRate == 10)
        var numbers: [Int] = []
        while let f = try reader.nextFrame() { numbers.append(SyntheticPattern.readFrameNumber(from: f) ?? -1) }
        // Every second frame of the looping 5-frame file (20 -> 10 fps).
        #expect(numbers.count >= 4 && !numbers.contains(-1))
        #expect(zip(numbers.dropFirst(), numbers).allSatisfy { ($0 - $1 + 5) % 5 == 2 }, "\(numbers)")
        try? FileManager.default.removeItem(at: dir)
    }
}

@Suite struct SyntheticPatternThroughVP8Tests {
    func tool(_ name: String, _ args: [String]) throws -> Int32 { try DebianTool.run(name, args).status }

    @Test("The burned-in frame counter reads back from every picture after lossy VP8 at 60 kbit/s (vpxenc/vpxdec)")
    func counterSurvivesVP8() throws {
        let dir = try temporaryDirectory()
        let raw = dir.appendingPathComponent("in.y4m").path
        let ivf = dir.appendingPathComponent("out.ivf").path
        let decoded = dir.appendingPathComponent("dec.y4m").path
        let writer = try Y4MWriter(path: raw, width: 320, height: 240, frameRate: 30)
        for n in 0..<45 {
            try writer.write(SyntheticPattern.frame(width: 320, height: 240, frameNumber: 1000 + n, timestamp: UInt64(n) * 33_333_333))
        }
        try writer.close()
        #expect(try tool("vpxenc", ["--codec=vp8", "--target-bitrate=60", "--end-usage=cbr", "--cpu-used=8", "-q", "-o", ivf, raw]) == 0)
        #expect(try tool("vpxdec", ["-o", decoded, ivf]) == 0)
        let reader = try Y4MReader(path: decoded)
        var numbers: [Int] = []
        while let f = try reader.nextFrame() { numbers.append(SyntheticPattern.readFrameNumber(from: f) ?? -1) }
        #expect(numbers == Array(1000..<1045))
        try? FileManager.default.removeItem(at: dir)
    }
}
