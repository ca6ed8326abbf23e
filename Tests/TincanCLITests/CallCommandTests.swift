import Foundation
import Testing

/// The media commands end to end, as a user runs them.
@Suite(.serialized) struct CallCommandTests {
    @Test("tincan loopback for 10 s at 1 Mbit/s 640x480: PSNR above 30 dB, A/V offset under 40 ms, every frame decoded")
    func loopback() throws {
        let r = try TincanBinary.run(["loopback", "--duration", "10", "--max-bitrate", "1000000", "--json",
                                      "--constraints", #"{"video": {"width": 640, "height": 480}, "audio": true}"#])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(r.json, "no JSON report: \(r.stdout)")
        print("loopback: \(r.stdout)")
        let sent = j["videoFramesSent"] as? Double ?? 0, decoded = j["videoFramesDecoded"] as? Double ?? 0
        #expect(sent >= 250, "sent \(sent) frames in 10 s from a 30 fps camera")
        #expect(decoded >= sent * 0.95)
        #expect(j["width"] as? Double == 640 && j["height"] as? Double == 480)
        #expect((j["psnrMeanDb"] as? Double ?? 0) > 30)
        #expect((j["psnrFrames"] as? Double ?? 0) >= decoded * 0.9, "frames paired by their burned-in counter")
        let offset = try #require(j["avOffsetMs"] as? Double, "no A/V offset (no sender report?)")
        #expect(abs(offset) < 40)
        #expect((j["videoKbitPerSecond"] as? Double ?? .infinity) <= 1100, "over the 1 Mbit/s cap")
    }

    /// Starts `tincan` in the background; its output goes to files.
    final class Background {
        let process = Process()
        let out: URL
        let err: URL
        /// Standard input, when asked for (`stdin: true`): `type` writes a line to it.
        let input: Pipe?
        init(_ arguments: [String], in dir: URL, name: String, launcher: [String] = [], environment: [String: String] = [:],
             stdin: Bool = false) throws {
            input = stdin ? Pipe() : nil
            guard let path = TincanBinary.path else { throw CLIError("tincan binary not found") }
            out = dir.appendingPathComponent("\(name).out")
            err = dir.appendingPathComponent("\(name).err")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            if launcher.isEmpty {
                process.executableURL = URL(fileURLWithPath: path)
                process.arguments = arguments
            } else {
                process.executableURL = URL(fileURLWithPath: launcher[0])
                process.arguments = Array(launcher.dropFirst()) + [path] + arguments
            }
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            process.standardInput = input ?? FileHandle.nullDevice
            if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
            try process.run()
        }
        func wait(seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { process.terminate(); return false }
            return true
        }
        /// One line to the process's standard input.
        func type(_ line: String) { input?.fileHandleForWriting.write(Data((line + "\n").utf8)) }
        /// Waits until stderr contains `text` (true) or `seconds` pass (false).
        func waitForStderr(_ text: String, seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while !stderr.contains(text) {
                guard Date() < deadline, process.isRunning else { return stderr.contains(text) }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return true
        }
        var stdout: String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }
    }

    static func freePort() -> Int { Int.random(in: 20_000...40_000) }

    @Test("Ctrl-C ends a call cleanly: the sender says BYE and deletes its WHIP session, the receiver sees the hang-up, both exit 0")
    func interruptEndsCall() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = Self.freePort()
        let recv = try Background(["recv", "--whip-listen", "127.0.0.1:\(port)", "--report", dir.appendingPathComponent("r.json").path],
                                  in: dir, name: "recv")
        Thread.sleep(forTimeInterval: 1)
        let send = try Background(["send", "--fake-devices", "--allow", "camera,microphone", "--whip", "http://127.0.0.1:\(port)/whip",
                                   "--constraints", #"{"video": {"width": 320, "height": 240}, "audio": true}"#], in: dir, name: "send")
        Thread.sleep(forTimeInterval: 4)
        kill(send.process.processIdentifier, SIGINT)
        let sendExited = send.wait(seconds: 10)
        let recvExited = recv.wait(seconds: 10)
        #expect(sendExited && send.process.terminationStatus == 0, "send: \(send.stderr)")
        #expect(send.stderr.contains("interrupted"), "\(send.stderr)")
        #expect(send.stderr.contains("[camera off]"), "the camera was released: \(send.stderr)")
        #expect(recvExited && recv.process.terminationStatus == 0, "recv: \(recv.stderr)")
        #expect(recv.stderr.contains("hung up"), "\(recv.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("r.json"))) as? [String: Any]
        #expect((report?["videoFramesDecoded"] as? Int ?? 0) > 20)
    }

    @Test("on a machine with no interface but lo, loopback candidates are used without any flag (network namespace)")
    func onlyLoopback() throws {
        guard getuid() == 0 else { Issue.record("needs root for ip netns (CI runs as root)"); return }
        let ns = "tincan-lo-\(getpid())"
        func ip(_ args: [String]) -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            p.arguments = args
            try? p.run()
            p.waitUntilExit()
            return p.terminationStatus
        }
        #expect(ip(["netns", "add", ns]) == 0)
        defer { _ = ip(["netns", "delete", ns]) }
        #expect(ip(["-n", ns, "link", "set", "lo", "up"]) == 0)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let offer = dir.appendingPathComponent("offer.sdp").path, answer = dir.appendingPathComponent("answer.sdp").path
        let launcher = ["/usr/sbin/ip", "netns", "exec", ns]
        // Files, not a loopback URL: nothing but the interface list says "use loopback".
        let recv = try Background(["recv", "--offer-in", offer, "--answer-out", answer, "--duration", "3"], in: dir, name: "recv", launcher: launcher)
        let send = try Background(["send", "--fake-devices", "--allow", "camera,microphone", "--offer-out", offer, "--answer-in", answer,
                                   "--duration", "4", "--constraints", #"{"video": {"width": 320, "height": 240}, "audio": true}"#],
                                  in: dir, name: "send", launcher: launcher)
        #expect(send.wait(seconds: 30) && send.process.terminationStatus == 0, "send: \(send.stderr)")
        #expect(recv.wait(seconds: 30) && recv.process.terminationStatus == 0, "recv: \(recv.stderr)")
        let offerText = (try? String(contentsOfFile: offer, encoding: .utf8)) ?? ""
        #expect(offerText.contains("a=candidate:") && offerText.contains(" 127.0.0.1 "), "\(offerText)")
        #expect(recv.stdout.contains("\"videoFramesDecoded\""), "\(recv.stdout)")
    }

    @Test("tincan recv records VP8 to IVF and Opus to Ogg as received (no re-encoding): vpxdec and opusinfo read them")
    func recordsWithoutReencoding() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let offer = dir.appendingPathComponent("offer.sdp").path, answer = dir.appendingPathComponent("answer.sdp").path
        let ivf = dir.appendingPathComponent("in.ivf").path, ogg = dir.appendingPathComponent("in.ogg").path
        let recv = try Background(["recv", "--offer-in", offer, "--answer-out", answer, "--duration", "3",
                                   "--video-out", ivf, "--audio-out", ogg], in: dir, name: "recv")
        let send = try Background(["send", "--fake-devices", "--allow", "camera,microphone", "--offer-out", offer, "--answer-in", answer,
                                   "--duration", "4", "--constraints", #"{"video": {"width": 320, "height": 240, "frameRate": {"ideal": 10}}, "audio": true}"#],
                                  in: dir, name: "send")
        #expect(recv.wait(seconds: 30) && recv.process.terminationStatus == 0, "recv: \(recv.stderr)")
        _ = send.wait(seconds: 30)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(recv.stdout.utf8)) as? [String: Any], "\(recv.stdout)")
        let decoded = report["videoFramesDecoded"] as? Int ?? 0
        #expect(decoded >= 25)
        let vpx = try DebianTool.run("vpxdec", ["--summary", "-o", "/dev/null", ivf])
        #expect(vpx.output.contains("\(decoded) decoded frames"), "vpxdec: \(vpx.output)")
        let info = try DebianTool.run("opusinfo", [ogg])
        #expect(info.output.contains("Playback length: 0m:02") || info.output.contains("Playback length: 0m:03"), "opusinfo: \(info.output)")
    }

    @Test("two tincan calls through a tincan-signal room: each decodes the other's video and audio")
    func callThroughRoom() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try SignalServer.start()
        defer { server.stop() }
        let common = ["call", "--fake-devices", "--allow", "camera,microphone", "--signal", "ws://127.0.0.1:\(server.port)", "--room", "kitchen",
                      "--duration", "3", "--constraints", #"{"video": {"width": 320, "height": 240}, "audio": true}"#]
        let offerer = try Background(common, in: dir, name: "offerer")
        let answerer = try Background(common + ["--answer"], in: dir, name: "answerer")
        #expect(offerer.wait(seconds: 30) && offerer.process.terminationStatus == 0, "offerer: \(offerer.stderr)")
        #expect(answerer.wait(seconds: 30) && answerer.process.terminationStatus == 0, "answerer: \(answerer.stderr)")
        for side in [offerer, answerer] {
            let summary = try JSONSerialization.jsonObject(with: Data(side.stdout.utf8)) as? [String: Any]
            let received = summary?["received"] as? [String: Any]
            #expect((received?["videoFramesDecoded"] as? Int ?? 0) >= 45, "\(side.stdout)")
            #expect((received?["audioFramesDecoded"] as? Int ?? 0) >= 100, "\(side.stdout)")
        }
    }
}
