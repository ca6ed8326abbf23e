import Foundation
import MediaCodecs
import Testing

/// `tincan capture` into VP8/IVF and Opus/Ogg: frameRate ideal/max is honoured before the
/// encoder (W3C mediacapture-main §4.3.8 frameRate; the track decimates 30 -> 10 fps), and
/// the files play in the reference tools (vpx-tools, opus-tools).
@Suite struct EncodedCaptureTests {
    func tool(_ name: String, _ args: [String]) throws -> (Int32, String) { try DebianTool.run(name, args) }

    func capture(_ constraints: String, seconds: Int, video: String, audio: String? = nil, in dir: URL) throws {
        var args = ["capture", "--fake-devices", "--allow", "camera,microphone", "--constraints", constraints,
                    "--duration", String(seconds), "--video-out", video]
        if let audio { args += ["--audio-out", audio] }
        let r = try TincanBinary.run(args, environment: ["XDG_CONFIG_HOME": dir.path])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test("capture: 10 s of a 30 fps camera under frameRate {ideal: 10, max: 15} is an IVF of 100 (+/-1) VP8 frames 100 ms apart that vpxdec decodes; the Ogg plays in opusinfo")
    func tenFPSForTenSeconds() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ivf = dir.appendingPathComponent("call.ivf").path, ogg = dir.appendingPathComponent("call.ogg").path
        try capture(#"{"video": {"width": 640, "height": 480, "frameRate": {"ideal": 10, "max": 15}}, "audio": true}"#,
                    seconds: 10, video: ivf, audio: ogg, in: dir)
        let reader = try IVFReader(path: ivf)
        #expect(reader.fourcc == "VP80" && reader.width == 640 && reader.height == 480)
        let frames = try reader.readAll()
        #expect((99...101).contains(frames.count), "\(frames.count) frames")
        let unitsPerSecond = Double(reader.timebase.denominator) / Double(reader.timebase.numerator)
        let gaps = zip(frames.dropFirst(), frames).map { Double($0.pts - $1.pts) / unitsPerSecond * 1000 }
        #expect(gaps.allSatisfy { (90...110).contains($0) }, "gaps (ms) \(gaps.filter { !(90...110).contains($0) })")
        if let first = frames.first, let last = frames.last, frames.count > 1 {
            let mean = Double(last.pts - first.pts) / unitsPerSecond * 1000 / Double(frames.count - 1)
            #expect(abs(mean - 100) < 1, "mean gap \(mean) ms")
        }
        let (status, output) = try tool("vpxdec", ["--summary", "-o", "/dev/null", ivf])
        #expect(status == 0, "\(output)")
        #expect(output.contains("\(frames.count) decoded frames"), "\(output)")
        let (opusStatus, opusOutput) = try tool("opusinfo", [ogg])
        // 10 s of 20 ms packets less the Opus pre-skip (312 samples, 6.5 ms) is 9.993 s; a
        // tick that wins the race with the end of --duration adds one packet (10.013 s).
        let length = opusOutput.range(of: #"Playback length: 0m:([0-9.]+)s"#, options: .regularExpression)
            .flatMap { Double(opusOutput[$0].dropFirst("Playback length: 0m:".count).dropLast()) }
        #expect(opusStatus == 0 && length.map { (9.95...10.05).contains($0) } == true, "\(opusOutput)")
    }

    @Test("capture: under frameRate {max: 15} no second of the IVF holds more than 15 frames")
    func maxFifteen() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ivf = dir.appendingPathComponent("max15.ivf").path
        try capture(#"{"video": {"frameRate": {"max": 15}}}"#, seconds: 4, video: ivf, in: dir)
        let reader = try IVFReader(path: ivf)
        let frames = try reader.readAll()
        let unitsPerSecond = Double(reader.timebase.denominator) / Double(reader.timebase.numerator)
        let seconds = frames.map { Double($0.pts) / unitsPerSecond }
        #expect(frames.count >= 40, "\(frames.count) frames in 4 s")
        // Count per second of the recording (seconds since the first frame). At 15 fps from a
        // 30 fps camera every other frame passes; a camera rate leak would show 30.
        guard let origin = seconds.first else { return }
        var perSecond: [Int: Int] = [:]
        for t in seconds { perSecond[Int(t - origin), default: 0] += 1 }
        #expect(perSecond.values.allSatisfy { $0 <= 15 }, "frames per second: \(perSecond.sorted { $0.key < $1.key })")
        #expect(perSecond.values.max() ?? 0 >= 14, "it does run at 15: \(perSecond)")
    }

    @Test("capture: an unknown output extension is a usage error naming the formats")
    func badExtension() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try TincanBinary.run(["capture", "--fake-devices", "--allow", "camera", "--constraints", #"{"video": true}"#,
                                      "--duration", "1", "--video-out", dir.appendingPathComponent("x.mp4").path],
                                     environment: ["XDG_CONFIG_HOME": dir.path])
        #expect(r.status == 1 && r.stderr.contains(".ivf"), "\(r.stderr)")
    }
}
