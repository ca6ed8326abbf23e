import Foundation
import Signaling
import Testing

/// Pasting into a real terminal in canonical mode (a tmux pane, as a person's terminal
/// emulator would): the kernel's line discipline keeps at most 4095 bytes of a line plus its
/// newline. The blob's lines pass whole; one long base64 line of the same SDP is cut.
@Suite(.serialized, .timeLimit(.minutes(1))) struct TerminalPasteTests {
    static let tmux = ["/usr/bin/tmux", "/usr/local/bin/tmux"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs tmux and waits for it with waitpid: Foundation's Process.waitUntilExit was seen to
    /// miss the exit of a tmux client (left a zombie, the test hung).
    @discardableResult
    func tmux(_ arguments: [String]) throws -> Int32 {
        let path = Self.tmux ?? "/usr/bin/tmux"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw SignalingError.misuse("cannot run tmux: error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// Runs `command` in a new tmux pane, pastes `text` into it as a person would, then
    /// presses Ctrl-D (twice: the first ends a partial line); waits for `done` to appear.
    func paste(_ text: String, into command: String, done: URL, in dir: URL) async throws {
        let session = "signal-paste-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let buffer = dir.appendingPathComponent("buffer.txt")
        try Data(text.utf8).write(to: buffer)
        #expect(try await blocking { try self.tmux(["new-session", "-d", "-s", session, "-x", "200", "-y", "50", "\(command); touch \(done.path); sleep 5"]) } == 0)
        defer { _ = try? tmux(["kill-session", "-t", session]) }
        try await Task.sleep(for: .milliseconds(300))
        try await blocking { try self.tmux(["load-buffer", "-b", session, buffer.path]) }
        try await blocking { try self.tmux(["paste-buffer", "-b", session, "-t", session]) }
        try await Task.sleep(for: .milliseconds(300))
        for _ in 0..<2 {
            try await blocking { try self.tmux(["send-keys", "-t", session, "C-d"]) }
            try await Task.sleep(for: .milliseconds(200))
        }
        for _ in 0..<50 where !FileManager.default.fileExists(atPath: done.path) {
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test("a 5 KB SDP pasted as a blob into a terminal decodes byte-exact; the same SDP as one base64 line is cut at 4096 bytes")
    func pasteIntoTerminal() async throws {
        guard Self.tmux != nil else {
            Issue.record("tmux is not installed: run scripts/install-deps --tests")
            return
        }
        guard let binary = SignalBinary.path else { Issue.record("tincan-signal not built"); return }
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }

        let decoded = dir.appendingPathComponent("pasted.sdp"), done1 = dir.appendingPathComponent("done1")
        let blob = CopyPasteBlob.encode(sampleOffer, kind: "offer").joined(separator: "\n") + "\n"
        try await paste(blob, into: "\(binary) decode --kind offer --output \(decoded.path)", done: done1, in: dir)
        #expect(FileManager.default.contents(atPath: decoded.path) == Data(sampleOffer.utf8))

        let raw = dir.appendingPathComponent("raw.txt"), done2 = dir.appendingPathComponent("done2")
        let oneLine = Base64URL.encode(Array(sampleOffer.utf8))
        #expect(oneLine.utf8.count > 4096)
        try await paste(oneLine + "\n", into: "cat > \(raw.path)", done: done2, in: dir)
        let got = FileManager.default.contents(atPath: raw.path) ?? Data()
        #expect(got.count <= 4096, "the terminal kept \(got.count) bytes of a \(oneLine.utf8.count)-byte line")
    }
}
