import Foundation
import MediaCapture
import MediaPrimitives
import Synchronization
import Testing
import VideoWindow

/// `tincan call`'s window as a person sees it, on an Xvfb display: screenshots (xwd) show
/// the other side's picture, its burned-in frame counter readable and advancing, and the
/// self-view; closing the window (WM_DELETE_WINDOW, what a window manager's close button
/// sends) ends the call with exit status 0.
@Suite(.serialized) struct CallWindowTests {
    static let title = "tincan call"

    /// An Xvfb server on a display number it picks itself (-displayfd), killed by its PID.
    final class Xvfb {
        let process = Process()
        let display: String

        init() throws {
            let path = "/usr/bin/Xvfb"
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw CLIError("Xvfb not found (Debian's xvfb): run scripts/install-deps --tests")
            }
            let out = Pipe()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = ["-displayfd", "1", "-screen", "0", "1280x720x24", "-nolisten", "tcp"]
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Xvfb writes the display number once it accepts connections.
            let number = Mutex<String?>(nil)
            let reader = out.fileHandleForReading
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                var text = ""
                while !text.contains("\n") {
                    let chunk = reader.availableData
                    if chunk.isEmpty { break }
                    text += String(decoding: chunk, as: UTF8.self)
                }
                number.withLock { $0 = text.trimmingCharacters(in: .whitespacesAndNewlines) }
                done.signal()
            }
            guard done.wait(timeout: .now() + 20) == .success, let n = number.withLock({ $0 }), !n.isEmpty, Int(n) != nil else {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                throw CLIError("Xvfb did not report a display within 20 s")
            }
            display = ":\(n)"
        }

        /// SIGKILL: Xvfb keeps the signal mask it inherits from the test process, where
        /// SIGTERM is blocked, and never unblocks it. Its socket and lock file are then ours
        /// to remove.
        func stop() {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let n = display.dropFirst()
            try? FileManager.default.removeItem(atPath: "/tmp/.X11-unix/X\(n)")
            try? FileManager.default.removeItem(atPath: "/tmp/.X\(n)-lock")
        }

        deinit { stop() }

        /// The window named `name`, as `xwd` dumps it (nil while no such window exists).
        func screenshot(window name: String) throws -> XWDImage? {
            let path = "/usr/bin/xwd"
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw CLIError("xwd not found (Debian's x11-apps): run scripts/install-deps --tests")
            }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: path)
            p.arguments = ["-display", display, "-name", name, "-silent"]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            guard p.terminationStatus == 0, !data.isEmpty else { return nil }
            return try XWDImage(data)
        }

        /// Sends the window WM_DELETE_WINDOW, as a window manager's close button does
        /// (python3-xlib on Debian's python3).
        func close(window name: String) throws -> (status: Int32, output: String) {
            let script = """
            import sys
            from Xlib import display, X, protocol
            d = display.Display(sys.argv[1])
            def find(w):
                for c in w.query_tree().children:
                    n = c.get_wm_name()
                    if n in (sys.argv[2], sys.argv[2].encode()):
                        return c
                    found = find(c)
                    if found is not None:
                        return found
                return None
            w = find(d.screen().root)
            if w is None:
                sys.exit("no window named " + sys.argv[2])
            protocols, delete = d.intern_atom("WM_PROTOCOLS"), d.intern_atom("WM_DELETE_WINDOW")
            w.send_event(protocol.event.ClientMessage(window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])),
                         event_mask=X.NoEventMask)
            d.flush()
            """
            return try DebianTool.run("python3", ["-c", script, display, name])
        }
    }

    static func requirePythonXlib() throws {
        let r = try DebianTool.run("python3", ["-c", "import Xlib"])
        if r.status != 0 { throw CLIError("python3-xlib is not installed for /usr/bin/python3: run scripts/install-deps --tests (\(r.output))") }
    }

    /// The synthetic camera's frame number read from `rect` of the screenshot: the pixels
    /// back to BT.601 luma, read by the same reader the call's monitor uses.
    static func frameNumber(in image: XWDImage, at rect: PixelRect) -> Int? {
        guard rect.width > 0, rect.height > 0, rect.x >= 0, rect.y >= 0,
              rect.x + rect.width <= image.width, rect.y + rect.height <= image.height else { return nil }
        var data = [UInt8](repeating: 128, count: VideoFrame.byteCount(width: rect.width, height: rect.height))
        for y in 0..<rect.height {
            for x in 0..<rect.width { data[y * rect.width + x] = image.luma(x: rect.x + x, y: rect.y + y) }
        }
        return SyntheticPattern.readFrameNumber(from: VideoFrame(width: rect.width, height: rect.height, data: data, timestamp: 0))
    }

    /// `received.videoFramesDecoded` of a call's summary (0 when there is none).
    static func videoFramesDecoded(_ stdout: String) -> Int {
        let summary = try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]
        return (summary?["received"] as? [String: Any])?["videoFramesDecoded"] as? Int ?? 0
    }

    @Test("tincan call's window under Xvfb: the remote picture scaled to fit with its frame counter readable and advancing, the self-view, and closing the window ends the call with status 0")
    func windowShowsTheOtherSide() throws {
        try Self.requirePythonXlib()
        let x = try Xvfb()
        defer { x.stop() }
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let offer = dir.appendingPathComponent("offer.sdp").path, answer = dir.appendingPathComponent("answer.sdp").path
        // The two sides' pictures differ in aspect (16:9 remote, 4:3 local), so the remote
        // picture's rectangle cannot be read off the self-view or the other way round.
        let remoteSize = (width: 320, height: 180), localSize = (width: 640, height: 480)
        let started = Date()
        let answerer = try CallCommandTests.Background(
            ["call", "--answer", "--no-window", "--fake-devices", "--allow", "camera,microphone", "--offer-in", offer, "--answer-out", answer,
             "--duration", "90", "--constraints", #"{"video": {"width": 320, "height": 180}, "audio": true}"#],
            in: dir, name: "answerer")
        let caller = try CallCommandTests.Background(
            ["call", "--fake-devices", "--allow", "camera,microphone", "--offer-out", offer, "--answer-in", answer,
             "--duration", "90", "--constraints", #"{"video": {"width": 640, "height": 480}, "audio": true}"#],
            in: dir, name: "caller", launcher: ["/usr/bin/env", "DISPLAY=\(x.display)"])
        defer {
            // After a failed expectation: neither side outlives the test.
            for side in [caller, answerer] where side.process.isRunning {
                kill(side.process.processIdentifier, SIGKILL)
                side.process.waitUntilExit()
            }
        }

        /// A screenshot whose remote picture carries a readable counter, within `seconds`.
        func readable(within seconds: Double) throws -> (image: XWDImage, remote: Int, local: Int?)? {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline, caller.process.isRunning {
                if let image = try x.screenshot(window: Self.title) {
                    let place = WindowLayout.place(windowWidth: image.width, windowHeight: image.height,
                                                   remote: remoteSize, selfView: localSize)
                    if let rect = place.remote, let n = Self.frameNumber(in: image, at: rect) {
                        return (image, n, place.selfView.flatMap { Self.frameNumber(in: image, at: $0) })
                    }
                }
                Thread.sleep(forTimeInterval: 0.25)
            }
            return nil
        }

        let first = try #require(try readable(within: 30), "no readable remote picture in the window within 30 s: caller: \(caller.stderr) answerer: \(answerer.stderr)")
        let firstAt = Date()
        #expect(first.image.width == 960 && first.image.height == 540, "the window is \(first.image.width)x\(first.image.height)")
        let bound = Int(firstAt.timeIntervalSince(started) * 30) + 30
        #expect(first.remote > 0 && first.remote <= bound, "remote frame \(first.remote) is not plausible for a 30 fps camera started \(firstAt.timeIntervalSince(started)) s ago")
        Thread.sleep(forTimeInterval: 1.5)
        let second = try #require(try readable(within: 10), "the remote picture became unreadable: \(caller.stderr)")
        let elapsed = Date().timeIntervalSince(firstAt)
        print("window: remote frames \(first.remote) then \(second.remote) after \(String(format: "%.2f", elapsed)) s; self-view \(first.local.map(String.init) ?? "-") then \(second.local.map(String.init) ?? "-")")
        #expect(second.remote > first.remote, "the remote picture did not advance: \(first.remote) then \(second.remote)")
        #expect(second.remote - first.remote <= Int(elapsed * 30) + 30, "advanced \(second.remote - first.remote) frames in \(elapsed) s")
        // The self-view: the local camera's counter, readable in its corner and advancing too.
        let local1 = try #require(first.local, "no readable self-view in the bottom-right corner")
        let local2 = try #require(second.local, "no readable self-view in the second screenshot")
        #expect(local2 > local1)

        let closed = try x.close(window: Self.title)
        #expect(closed.status == 0, "closing the window: \(closed.output)")
        #expect(caller.wait(seconds: 15), "the call did not end after its window was closed: \(caller.stderr)")
        #expect(caller.process.terminationStatus == 0, "caller: \(caller.stderr)")
        #expect(caller.stderr.contains("the window was closed, ending the call"), "\(caller.stderr)")
        #expect(caller.stderr.contains("[camera off]"), "the camera was released: \(caller.stderr)")
        #expect(Self.videoFramesDecoded(caller.stdout) > 30, "\(caller.stdout)")
        #expect(answerer.wait(seconds: 15) && answerer.process.terminationStatus == 0, "answerer: \(answerer.stderr)")
        #expect(answerer.stderr.contains("hung up"), "the other side saw the hang-up: \(answerer.stderr)")
    }

    @Test("without a display tincan call says so in one line and goes on without a window")
    func noDisplay() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let offer = dir.appendingPathComponent("offer.sdp").path, answer = dir.appendingPathComponent("answer.sdp").path
        let launcher = ["/usr/bin/env", "-u", "DISPLAY", "-u", "WAYLAND_DISPLAY", "-u", "SDL_VIDEODRIVER"]
        let common = ["--fake-devices", "--allow", "camera,microphone", "--duration", "2",
                      "--constraints", #"{"video": {"width": 320, "height": 240}, "audio": true}"#]
        let answerer = try CallCommandTests.Background(["call", "--answer", "--offer-in", offer, "--answer-out", answer] + common,
                                                       in: dir, name: "answerer", launcher: launcher)
        let caller = try CallCommandTests.Background(["call", "--no-window", "--offer-out", offer, "--answer-in", answer] + common,
                                                     in: dir, name: "caller", launcher: launcher)
        #expect(answerer.wait(seconds: 30) && answerer.process.terminationStatus == 0, "answerer: \(answerer.stderr)")
        #expect(caller.wait(seconds: 30) && caller.process.terminationStatus == 0, "caller: \(caller.stderr)")
        let lines = answerer.stderr.split(separator: "\n").filter { $0.contains("display") }
        #expect(lines.count == 1 && lines[0].contains("no display") && lines[0].contains("the call goes on without a window"), "\(answerer.stderr)")
        #expect(!caller.stderr.contains("display"), "--no-window says nothing about displays: \(caller.stderr)")
        #expect(Self.videoFramesDecoded(answerer.stdout) > 10, "\(answerer.stdout)")
    }

    @Test("the tincan binary does not link SDL2: it is opened with dlopen when a window opens, so send and recv never load it and its libraries")
    func sdlIsNotLinked() throws {
        let path = try #require(TincanBinary.path, "tincan binary not found")
        let readelf = try DebianTool.run("readelf", ["-d", path])
        try #require(readelf.status == 0, "\(readelf.output)")
        let needed = readelf.output.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(!needed.isEmpty, "readelf shows the binary's libraries: \(readelf.output)")
        #expect(!needed.contains { $0.contains("SDL") }, "\(needed.joined(separator: "\n"))")
    }
}
