import Foundation
import Signaling
import Testing

/// Runs the built `tincan-signal` binary.
enum SignalBinary {
    static let path: String? = {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["TINCAN_SIGNAL_BINARY"], fm.isExecutableFile(atPath: env) { return env }
        var candidates: [URL] = []
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("tincan-signal"))
            dir = dir.deletingLastPathComponent()
        }
        for b in Bundle.allBundles { candidates.append(b.bundleURL.deletingLastPathComponent().appendingPathComponent("tincan-signal")) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/tincan-signal"))
        return candidates.map(\.path).first { fm.isExecutableFile(atPath: $0) }
    }()

    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    static func run(_ arguments: [String], input: Data = Data()) throws -> Result {
        guard let path else { throw SignalingError.misuse("tincan-signal not built: swift build --product tincan-signal") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        let inPipe = Pipe(), out = Pipe(), err = Pipe()
        p.standardInput = inPipe
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let writer = Thread {
            inPipe.fileHandleForWriting.write(input)
            try? inPipe.fileHandleForWriting.close()
        }
        writer.start()
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
    }
}

@Suite struct SignalCLITests {
    @Test("tincan-signal --help and serve --help exit 0 and teach with examples")
    func help() async throws {
        let top = try await blocking { try SignalBinary.run(["--help"]) }
        #expect(top.status == 0, "\(top.stderr)")
        for word in ["serve", "offer", "answer", "encode", "decode", "PROTOCOL.md"] { #expect(top.text.contains(word), "\(word)") }
        let serve = try await blocking { try SignalBinary.run(["serve", "--help"]) }
        #expect(serve.status == 0)
        for word in ["--listen", "--token", "--max-message-bytes", "--whip-timeout", "/whip/", "Examples"] { #expect(serve.text.contains(word), "\(word)") }
        let answer = try await blocking { try SignalBinary.run(["answer", "--help"]) }
        #expect(answer.status == 0 && answer.text.contains("--answer-command"))
        let whip = try await blocking { try SignalBinary.run(["whip", "--help"]) }
        #expect(whip.status == 0 && whip.text.contains("--endpoint") && whip.text.contains("--delete"))
    }

    @Test("encode | decode through the binary is byte-exact; a damaged paste exits 1 naming the chunk")
    func encodeDecode() async throws {
        let encoded = try await blocking { try SignalBinary.run(["encode", "--kind", "offer"], input: Data(sampleOffer.utf8)) }
        #expect(encoded.status == 0, "\(encoded.stderr)")
        let decoded = try await blocking { try SignalBinary.run(["decode", "--kind", "offer"], input: encoded.stdout) }
        #expect(decoded.status == 0, "\(decoded.stderr)")
        #expect(decoded.stdout == Data(sampleOffer.utf8))
        var lines = encoded.text.split(separator: "\n").map(String.init)
        lines.remove(at: 1)
        let pasted = Data(lines.joined(separator: "\n").utf8)
        let broken = try await blocking { try SignalBinary.run(["decode"], input: pasted) }
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("chunk 2/7 is missing"), "\(broken.stderr)")
        #expect(broken.stdout.isEmpty)
    }

    @Test("serve, answer --answer-command and offer through the binaries: the answer made by the command comes back byte for byte")
    func offerAnswerCommands() async throws {
        guard let path = SignalBinary.path else { Issue.record("binary missing"); return }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: path)
        server.arguments = ["serve", "--listen", "127.0.0.1:0", "--log-level", "warning"]
        let out = Pipe()
        server.standardOutput = out
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        // The first line says the port.
        let firstLine = try await blocking {
            var firstLine = Data()
            while !firstLine.contains(UInt8(ascii: "\n")) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                firstLine.append(chunk)
            }
            return firstLine
        }
        let line = String(decoding: firstLine, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        #expect(line.hasPrefix("listening on http://127.0.0.1:"))
        let port = line.split(separator: ":").last.map(String.init) ?? ""
        let answerer = Process()
        answerer.executableURL = URL(fileURLWithPath: path)
        answerer.arguments = ["answer", "--url", "ws://127.0.0.1:\(port)", "--room", "cli", "--timeout", "10",
                              "--answer-command", "sed 's/^v=0/v=0 answered/'"]
        answerer.standardError = FileHandle.nullDevice
        try answerer.run()
        defer { if answerer.isRunning { answerer.terminate() } }
        let result = try await blocking {
            try SignalBinary.run(["offer", "--url", "ws://127.0.0.1:\(port)", "--room", "cli", "--timeout", "10"], input: Data(sampleOffer.utf8))
        }
        #expect(result.status == 0, "\(result.stderr)")
        let expected = sampleOffer.replacingOccurrences(of: "v=0\r\n", with: "v=0 answered\r\n")
        #expect(result.stdout == Data(expected.utf8))
        let answererStatus = try await blocking { answerer.waitUntilExit(); return answerer.terminationStatus }
        #expect(answererStatus == 0)
        // The answerer left: a WHIP offer to the room is refused, the status and text on stderr.
        let whip = try await blocking { try SignalBinary.run(["whip", "--endpoint", "http://127.0.0.1:\(port)/whip/cli"], input: Data(sampleOffer.utf8)) }
        #expect(whip.status == 1)
        #expect(whip.stderr.contains("HTTP 404: no peer is waiting in room cli"), "\(whip.stderr)")
    }

    @Test("answer without a command: the offer comes out on stdout, which then closes; the answer goes in on stdin (a coprocess)")
    func answerAsCoprocess() async throws {
        guard let path = SignalBinary.path else { Issue.record("binary missing"); return }
        try await withServer { port in
            let answerer = Process()
            answerer.executableURL = URL(fileURLWithPath: path)
            answerer.arguments = ["answer", "--url", "ws://127.0.0.1:\(port)", "--room", "co", "--timeout", "10"]
            let toAnswerer = Pipe(), fromAnswerer = Pipe()
            answerer.standardInput = toAnswerer
            answerer.standardOutput = fromAnswerer
            answerer.standardError = FileHandle.nullDevice
            try answerer.run()
            defer { if answerer.isRunning { answerer.terminate() } }
            let offerer = try RoomClient(url: "ws://127.0.0.1:\(port)", room: "co", timeout: .seconds(10))
            let answered = Task { try await offerer.exchange(offer: sampleOffer) }
            // The offer, to the end of the answerer's stdout (it closes it).
            let offer = try await blocking { fromAnswerer.fileHandleForReading.readDataToEndOfFile() }
            #expect(offer == Data(sampleOffer.utf8))
            let answer = "v=0\r\ns=coprocess\r\n"
            // The throwing write: an answerer that died (a broken pipe) fails the test, not the run.
            try toAnswerer.fileHandleForWriting.write(contentsOf: Data(answer.utf8))
            try toAnswerer.fileHandleForWriting.close()
            #expect(try await answered.value == answer)
            try await offerer.close()
            let status = try await blocking { answerer.waitUntilExit(); return answerer.terminationStatus }
            #expect(status == 0)
        }
    }

    /// An answer command that exits (or closes its stdin) before reading the offer: the write
    /// of the offer fails with EPIPE. That used to end tincan-signal by a trap (FileHandle.write
    /// on EPIPE, status 4 in this test) with no word on why; SIGPIPE is ignored explicitly too.
    /// The offer is larger than a pipe's buffer, so the write cannot finish first.
    @Test("answer --answer-command that does not read the offer: no SIGPIPE, a clear error (or a note when it still answers)")
    func answerCommandExitingEarly() async throws {
        guard let path = SignalBinary.path else { Issue.record("binary missing"); return }
        let padding = String(repeating: "a=x-pad:" + String(repeating: "p", count: 1000) + "\r\n", count: 200)
        let bigOffer = sampleOffer + padding
        try await withServer(maxMessageBytes: 1 << 20) { port in
            for (room, command, status) in [("early-exit", "exit 3", Int32(1)), ("no-read", "exec 0<&-; sleep 0.2; printf 'v=0\\r\\ns=made\\r\\n'", Int32(0))] {
                let answerer = Process()
                // SIGPIPE back to its default: the test runner ignores it, and a child inherits that.
                answerer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                answerer.arguments = ["--default-signal=PIPE", path, "answer", "--url", "ws://127.0.0.1:\(port)", "--room", room,
                                      "--timeout", "10", "--answer-command", command]
                let errors = Pipe()
                answerer.standardError = errors
                try answerer.run()
                defer { if answerer.isRunning { answerer.terminate() } }
                let offerer = try RoomClient(url: "ws://127.0.0.1:\(port)", room: room, timeout: .seconds(10))
                let answered = Task { try await offerer.exchange(offer: bigOffer) }
                let stderr = try await blocking { String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
                let (reason, code) = try await blocking { answerer.waitUntilExit(); return (answerer.terminationReason, answerer.terminationStatus) }
                #expect(reason == .exit, "\(room): ended by signal \(code), \(stderr)")
                #expect(code == status, "\(room): \(stderr)")
                #expect(stderr.contains("did not read the whole offer"), "\(room): \(stderr)")
                if status == 0 {
                    #expect(try await answered.value == "v=0\r\ns=made\r\n")
                } else {
                    #expect(stderr.contains("exited with status 3"), "\(stderr)")
                    answered.cancel()
                }
                try await offerer.close()
            }
        }
    }
}
