import Foundation
import MediaPrimitives
import Testing
import MediaCapture

/// `tincan` against hostile and broken input files and the settings
/// `tincan select` reports: every failure exits non-zero with a message that names
/// the field, and a capture that delivered nothing or ended early says so.
@Suite struct HostileInputCLITests {
    func file(_ dir: URL, _ name: String, _ bytes: [UInt8]) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("capture: a 10-byte Y4M declaring 16384x16384 or 8192x8192 exits 2 naming the problem (was: 0 frames, exit 0)")
    func shortY4M() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (header, expected) in [("YUV4MPEG2 W16384 H16384 F30:1\n", "width W16384 is outside 1-8192"),
                                   ("YUV4MPEG2 W8192 H8192 F30:1\n", "holds no complete frame")] {
            let path = try file(dir, "in.y4m", Array(header.utf8) + Array("FRAME\n0123".utf8))
            let r = try TincanBinary.run(["capture", "--video-file", path, "--allow", "camera", "--constraints", #"{"video": true}"#,
                                          "--duration", "0.5", "--json"])
            #expect(r.status == 2, "\(r.stdout) \(r.stderr)")
            #expect(r.stderr.contains(expected), "\(r.stderr)")
        }
    }

    @Test("capture: a Y4M whose second frame is cut short ends early: exit 3, saying why")
    func truncatedY4M() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let frame = VideoFrame.byteCount(width: 32, height: 24)
        let bytes = Array("YUV4MPEG2 W32 H24 F30:1\nFRAME\n".utf8) + [UInt8](repeating: 16, count: frame)
            + Array("FRAME\n".utf8) + [UInt8](repeating: 16, count: frame / 2)
        let path = try file(dir, "cut.y4m", bytes)
        let r = try TincanBinary.run(["capture", "--video-file", path, "--allow", "camera", "--constraints", #"{"video": true}"#,
                                      "--duration", "1", "--json"])
        #expect(r.status == 3, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("the video track ended early") && r.stderr.contains("truncated frame"), "\(r.stderr)")
        #expect(r.json?["ok"] as? Bool == false)
        #expect((r.json?["video"] as? [String: Any])?["frames"] as? Int == 1)
    }

    @Test("capture: a Y4M at 0.1 fps stops at --duration (the pacing wait is cut short), one frame, exit 0")
    func slowY4M() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try file(dir, "slow.y4m", Array("YUV4MPEG2 W32 H24 F1:10\nFRAME\n".utf8)
                                              + [UInt8](repeating: 16, count: VideoFrame.byteCount(width: 32, height: 24)))
        let start = Date()
        let r = try TincanBinary.run(["capture", "--video-file", path, "--allow", "camera", "--constraints", #"{"video": true}"#,
                                      "--duration", "0.5", "--json"])
        let took = Date().timeIntervalSince(start)
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect((r.json?["video"] as? [String: Any])?["frames"] as? Int == 1)
        #expect(took < 5, "capture of 0.5 s took \(took) s")
        let fast = try file(dir, "fast.y4m", Array("YUV4MPEG2 W32 H24 F1:1000000\nFRAME\n".utf8)
                                              + [UInt8](repeating: 16, count: VideoFrame.byteCount(width: 32, height: 24)))
        let f = try TincanBinary.run(["select", "--video-file", fast, "--constraints", #"{"video": true}"#])
        #expect(f.status == 2 && f.stderr.contains("F1:1000000"), "\(f.stderr)")
    }

    @Test("devices file: a 1e6 Hz x 1e6-channel microphone exits 2 naming the field (was: a 20 GB allocation and an abort)")
    func hugeMicrophone() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try file(dir, "d.json", Array(#"{"devices": [{"kind": "audioinput", "sampleRate": [1000000], "channelCount": [1000000]}]}"#.utf8))
        let r = try TincanBinary.run(["capture", "--devices-file", path, "--allow", "microphone", "--constraints", #"{"audio": true}"#,
                                      "--duration", "0.3"])
        #expect(r.status == 2, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("devices[0].sampleRate 1000000 is not an integer in 8000-384000 Hz"), "\(r.stderr)")
    }

    @Test("devices file over 4 MiB exits 2 saying so")
    func hugeDevicesFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = #"{"devices": [], "pad": ""# + String(repeating: "x", count: 5 << 20) + #""}"#
        let path = try file(dir, "big.json", Array(text.utf8))
        let r = try TincanBinary.run(["select", "--devices-file", path, "--constraints", #"{"video": true}"#])
        #expect(r.status == 2)
        #expect(r.stderr.contains("larger than 4 MiB") && !r.stderr.contains("unterminated"), "\(r.stderr)")
    }

    @Test("select: top-level settings are getUserMedia's; each apply entry carries the settings after its own step")
    func selectSettingsPerStep() throws {
        let r = try TincanBinary.run(["select", "--fake-devices", "--constraints", #"{"video": true}"#,
                                      "--apply-video", #"{"width": {"exact": 320}, "height": {"exact": 240}}"#,
                                      "--apply-video", #"{"width": {"min": 9999}}"#,
                                      "--apply-video", #"{"width": {"exact": 1280}, "height": {"exact": 720}}"#])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(r.json)
        let top = try #require(j["video"] as? [String: Any])
        #expect(top["width"] as? Int == 640 && top["height"] as? Int == 480, "\(top)")
        let apply = try #require(j["apply"] as? [[String: Any]])
        let widths = apply.map { ($0["settings"] as? [String: Any])?["width"] as? Int }
        #expect(widths == [320, 320, 1280], "\(apply)")
        #expect(apply.map { $0["ok"] as? Bool } == [true, false, true])
        #expect(apply[1]["kind"] as? String == "video" && apply[1]["constraint"] as? String == "width")
    }

    @Test("select: a required backgroundBlur is a TypeError; an ideal one reports backgroundBlur false")
    func selectBackgroundBlur() throws {
        let r = try TincanBinary.run(["select", "--fake-devices", "--constraints", #"{"video": {"backgroundBlur": {"exact": true}}}"#])
        #expect(r.status == 1)
        #expect(r.json?["error"] as? String == "TypeError", "\(r.stdout)")
        let ok = try TincanBinary.run(["select", "--fake-devices", "--constraints", #"{"video": {"backgroundBlur": true}}"#])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect((ok.json?["video"] as? [String: Any])?["backgroundBlur"] as? Bool == false)
    }

    @Test("select --deny camera: an unsatisfiable constraint or a missing camera is NotAllowedError")
    func selectDeniedLearnsNothing() throws {
        let over = try TincanBinary.run(["select", "--fake-devices", "--deny", "camera", "--constraints", #"{"video": {"width": {"min": 5000}}}"#])
        #expect(over.status == 1)
        #expect(over.json?["error"] as? String == "NotAllowedError", "\(over.stdout)")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let micOnly = try file(dir, "mic.json", Array(#"[{"kind": "audioinput"}]"#.utf8))
        let none = try TincanBinary.run(["select", "--devices-file", micOnly, "--deny", "camera", "--constraints", #"{"video": true}"#])
        #expect(none.status == 1)
        #expect(none.json?["error"] as? String == "NotAllowedError", "\(none.stdout)")
    }
}
