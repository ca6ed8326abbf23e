import Foundation
import Signaling
import Synchronization
import Testing

/// `tincan-signal serve` as a process, for the tests that measure its memory from /proc.
final class SignalServerProcess {
    let process = Process()
    let port: Int

    init(_ extra: [String] = []) throws {
        guard let path = SignalBinary.path else { throw CLIFailure("tincan-signal not built: swift build --product tincan-signal") }
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["serve", "--listen", "127.0.0.1:0", "--log-level", "error"] + extra
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var first = Data()
        while !first.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            first.append(chunk)
        }
        let line = String(decoding: first, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        guard line.hasPrefix("listening on http://127.0.0.1:"), let port = line.split(separator: ":").last.flatMap({ Int($0) }) else {
            process.terminate()
            throw CLIFailure("the server did not say where it listens: \(line)")
        }
        self.port = port
    }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }

    /// A field of /proc/PID/status in kB: VmRSS (resident now), VmHWM (the peak).
    func status(_ field: String) -> Int {
        let text = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }

    /// Warms the server up (one WebSocket served), so the baseline includes its steady state.
    func warmUp() throws {
        let s = try RawSocket(port: port)
        guard s.upgrade() else { throw CLIFailure("no WebSocket upgrade") }
        _ = s.sendText(#"{"type":"join","room":"warm","token":"t"}"#)
        _ = s.receiveText()
    }
}

/// The server stays bounded against peers that misbehave on purpose (the limits in signaling/PROTOCOL.md).
@Suite(.serialized, .timeLimit(.minutes(3))) struct ServerLimitsTests {
    /// 60 KB of `A` as the message's type: the reply must neither quote it nor pile up.
    static let hugeType = #"{"type":""# + String(repeating: "A", count: 60_000) + #""}"#

    @Test("a socket that never reads and sends 2000 messages of 60 KB with an unknown type: the server's peak RSS grows by at most 30 MB and it closes the socket")
    func nonReadingSocket() async throws {
        try await blocking {
            let server = try SignalServerProcess(["--token", "t"])
            try server.warmUp()
            let before = server.status("VmRSS")
            let attacker = try RawSocket(port: server.port, timeout: 3)
            #expect(attacker.upgrade())
            let frame = RawSocket.frame(Array(Self.hugeType.utf8))
            var sent = 0
            for _ in 0..<2000 {
                guard attacker.send(frame) else { break }
                sent += 1
            }
            let growth = (server.status("VmHWM") - before) / 1024
            print("non-reading socket: \(sent) messages of 60 KB sent, peak RSS growth \(growth) MB (RSS before \(before / 1024) MB)")
            #expect(growth <= 30, "RSS grew by \(growth) MB")
            #expect(attacker.closedByPeer(), "the server keeps a socket that does not read")
            #expect(server.process.isRunning)
        }
    }

    @Test("a peer that stops reading while the other relays 60 KB candidates: peak RSS grows by at most 30 MB, the slow peer is closed and the other hears peer-left")
    func slowReader() async throws {
        try await blocking {
            let server = try SignalServerProcess()
            try server.warmUp()
            let before = server.status("VmRSS")
            let slow = try RawSocket(port: server.port, timeout: 3)
            #expect(slow.upgrade())
            #expect(slow.sendText(#"{"type":"join","room":"r","role":"answerer"}"#))
            let fast = try RawSocket(port: server.port, timeout: 3)
            #expect(fast.upgrade())
            #expect(fast.sendText(#"{"type":"join","room":"r","role":"offerer"}"#))
            // The fast peer's side: read everything it is sent, on a thread of its own.
            let heard = TextLog()
            let reader = Thread {
                // Through the receive timeouts (the room is quiet while the server relays).
                let deadline = Date().addingTimeInterval(60)
                while Date() < deadline {
                    guard let t = fast.receiveText() else { Thread.sleep(forTimeInterval: 0.05); continue }
                    heard.append(t)
                    if t.contains("peer-left") { break }
                }
            }
            reader.start()
            let candidate = #"{"type":"candidate","candidate":""# + String(repeating: "A", count: 60_000) + #""}"#
            let frame = RawSocket.frame(Array(candidate.utf8))
            var sent = 0
            for _ in 0..<2000 {
                guard fast.send(frame) else { break }
                sent += 1
                if sent % 100 == 0, heard.contains("peer-left") { break }
            }
            Thread.sleep(forTimeInterval: 1)
            let growth = (server.status("VmHWM") - before) / 1024
            print("slow reader: \(sent) candidates of 60 KB relayed toward it, peak RSS growth \(growth) MB")
            #expect(growth <= 30, "RSS grew by \(growth) MB")
            #expect(heard.contains("peer-left"), "the slow peer was not closed")
            #expect(slow.closedByPeer())
            #expect(server.process.isRunning)
        }
    }

    @Test("500 WebSockets at once (from 127.0.0.1 to 127.0.0.5, 100 each): 250 rooms join and relay; the 101st connection from one address gets 429")
    func fiveHundredConnections() async throws {
        try await blocking {
            // Connecting 500 sockets one after another takes seconds on a loaded machine; the
            // first ones must not reach the join timeout (10 s) before they join.
            let server = try SignalServerProcess(["--handshake-timeout", "120"])
            var sockets: [RawSocket] = []
            for i in 0..<500 {
                let s = try RawSocket(port: server.port, source: "127.0.0.\(i / 100 + 1)")
                guard s.upgrade() else { Issue.record("connection \(i) was not upgraded"); return }
                sockets.append(s)
            }
            let extra = try RawSocket(port: server.port, source: "127.0.0.1")
            let refused = extra.readAll()
            #expect(refused.hasPrefix("HTTP/1.1 429"), "\(refused.prefix(200))")
            for (i, s) in sockets.enumerated() {
                #expect(s.sendText(#"{"type":"join","room":"room\#(i / 2)","role":"\#(i % 2 == 0 ? "answerer" : "offerer")"}"#))
            }
            var relayed = 0
            var failures: [String] = []
            for pair in 0..<250 {
                let answerer = sockets[2 * pair], offerer = sockets[2 * pair + 1]
                // The two joins race on the server: when the offerer's came first, its `joined`
                // lists nobody and the answerer arrives as `peer-joined` (an offer sent alone
                // in the room gets `no-peer`, PROTOCOL.md).
                let text = offerer.receiveText()
                guard let text, case .joined(_, _, let peers)? = try? SignalMessage(jsonText: text) else {
                    failures.append("room\(pair): the offerer got \(text.map { String($0.prefix(120)) } ?? "nothing") instead of joined")
                    continue
                }
                if peers.isEmpty {
                    let next = offerer.receiveText()
                    guard let next, case .peerJoined? = try? SignalMessage(jsonText: next) else {
                        failures.append("room\(pair): the offerer got \(next.map { String($0.prefix(120)) } ?? "nothing") instead of peer-joined")
                        continue
                    }
                }
                _ = offerer.sendText(#"{"type":"offer","sdp":"v=0\r\n"}"#)
                var seen = false
                var heard: [String] = []
                while let t = answerer.receiveText() {
                    if t.contains("\"offer\"") { seen = true; break }
                    heard.append(String(t.prefix(120)))
                }
                if seen { relayed += 1 } else { failures.append("room\(pair): no offer reached the answerer, which heard \(heard)") }
            }
            #expect(failures.isEmpty, "\(failures.prefix(5))")
            print("500 connections: \(relayed) of 250 rooms relayed an offer; RSS \(server.status("VmRSS") / 1024) MB")
            #expect(relayed == 250)
        }
    }

    @Test("sockets that send nothing, half a request, or never join are closed after --handshake-timeout; Content-Length: -5 gets 400")
    func timeoutsAndBadRequests() async throws {
        try await blocking {
            let server = try SignalServerProcess(["--handshake-timeout", "1"])
            let silent = try (0..<20).map { _ in try RawSocket(port: server.port, timeout: 4) }
            let half = try RawSocket(port: server.port, timeout: 4)
            #expect(half.send("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n"))
            let unjoined = try RawSocket(port: server.port, timeout: 4)
            #expect(unjoined.upgrade())
            let start = Date()
            #expect(silent.allSatisfy { $0.closedByPeer() })
            #expect(half.closedByPeer())
            let told = unjoined.receiveText() ?? ""
            #expect(told.contains("join-timeout"), "\(told)")
            #expect(unjoined.closedByPeer())
            #expect(Date().timeIntervalSince(start) < 3.5)

            let negative = try RawSocket(port: server.port)
            #expect(negative.send("POST /whip/r HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sdp\r\nContent-Length: -5\r\n\r\n"))
            let answer = negative.readAll()
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
        }
    }

    @Test("after closing a connection for a too-large message, the server stops reading it within 2 s (it does not drain 100 MB of fragments)")
    func stopsReadingAfterTooLarge() async throws {
        try await blocking {
            let server = try SignalServerProcess(["--max-message-bytes", "4096"])
            try server.warmUp()
            let before = server.status("VmRSS")
            let s = try RawSocket(port: server.port, timeout: 2)
            #expect(s.upgrade())
            let chunk = [UInt8](repeating: 0x41, count: 8192)
            #expect(s.send(RawSocket.frame(chunk, opcode: 1, fin: false)))
            let start = Date()
            var sentBytes = 0
            let fragment = RawSocket.frame(chunk, opcode: 0, fin: false)
            while Date().timeIntervalSince(start) < 6 {
                guard s.send(fragment) else { break }
                sentBytes += fragment.count
            }
            let elapsed = Date().timeIntervalSince(start)
            let growth = (server.status("VmHWM") - before) / 1024
            print("too-large: the server stopped taking fragments after \(sentBytes >> 20) MB, \(String(format: "%.1f", elapsed)) s; peak RSS growth \(growth) MB")
            #expect(growth <= 30, "RSS grew by \(growth) MB")
            // What the kernel's socket buffers hold, no more (it took 256 MB in the 1 s grace
            // while the server went on reading).
            #expect(sentBytes < 32 << 20, "the server took \(sentBytes >> 20) MB after refusing the message")
            #expect(elapsed < 4, "the server read fragments for \(elapsed) s")
        }
    }
}

/// Text gathered by a reader thread.
final class TextLog: Sendable {
    private let text = Mutex("")
    func append(_ line: String) { text.withLock { $0 += line + "\n" } }
    func contains(_ part: String) -> Bool { text.withLock { $0.contains(part) } }
}
