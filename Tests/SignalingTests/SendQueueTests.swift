import Foundation
import Signaling
import SignalingServer
import Synchronization
import Testing

/// The bounded send queue of one WebSocket, on an in-process server whose
/// counters the tests read: a peer that stops reading is closed with 1008 when its queue is
/// full, and the queue never holds more than `maxQueuedBytes`.
@Suite(.serialized, .timeLimit(.minutes(2))) struct SendQueueTests {
    static let limit = 64 * 1024

    func withCountedServer(_ body: @escaping @Sendable (Int) throws -> Void) async throws -> SignalServerCounters {
        let server = SignalServer(configuration: SignalServerConfiguration(
            listen: HostPort(host: "127.0.0.1", port: 0), maxMessageBytes: 4096, maxQueuedBytes: Self.limit))
        let running = try await server.start()
        do {
            try await blocking { try body(running.port) }
            await running.stop()
        } catch {
            await running.stop()
            throw error
        }
        return server.counters
    }

    @Test("a joined socket that never reads and sends 12-byte messages of an unknown type: its replies fill its queue to at most 64 KiB, then it is closed and counted once")
    func nonReadingSocket() async throws {
        let outcome = Outcome()
        let counters = try await withCountedServer { port in
            let s = try RawSocket(port: port, timeout: 5, receiveBuffer: 4096)
            guard s.upgrade(), s.sendText(#"{"type":"join","room":"q"}"#) else { throw CLIFailure("no WebSocket") }
            let frame = RawSocket.frame(Array(#"{"type":"x"}"#.utf8))
            // About 170 bytes of error for each 18-byte frame, so the replies pile up: the
            // attacker goes on for up to 10 s, or until the server cuts the socket.
            let start = Date()
            var sent = 0
            while Date().timeIntervalSince(start) < 10 {
                guard s.send(frame) else { break }
                sent += 1
            }
            outcome.set(sent: sent, closed: s.closedByPeer(), seconds: Date().timeIntervalSince(start))
        }
        print("non-reading socket: \(outcome.sent) messages sent in \(String(format: "%.1f", outcome.seconds)) s before the server cut it; queue peak \(counters.peakQueuedBytes) bytes, \(counters.droppedMessages) replies dropped, \(counters.sendQueueOverflows) overflow")
        #expect(counters.sendQueueOverflows == 1)
        #expect(counters.peakQueuedBytes <= Self.limit)
        #expect(counters.peakQueuedBytes > Self.limit / 2, "the queue did fill before the cut")
        #expect(counters.droppedMessages > 0)
        #expect(outcome.closed, "the server kept a socket that does not read")
        #expect(outcome.seconds < 4, "the server still took messages \(outcome.seconds) s after it")
    }

    @Test("a peer that stops reading while the other relays 3 KB candidates: its queue stays under 64 KiB, it is closed, and the other peer hears peer-left")
    func slowReader() async throws {
        let outcome = Outcome()
        let counters = try await withCountedServer { port in
            let slow = try RawSocket(port: port, timeout: 5, receiveBuffer: 4096)
            guard slow.upgrade(), slow.sendText(#"{"type":"join","room":"r","role":"answerer"}"#) else { throw CLIFailure("no WebSocket") }
            let fast = try RawSocket(port: port, timeout: 5)
            guard fast.upgrade(), fast.sendText(#"{"type":"join","room":"r","role":"offerer"}"#) else { throw CLIFailure("no WebSocket") }
            let candidate = #"{"type":"candidate","candidate":""# + String(repeating: "A", count: 3000) + #""}"#
            let frame = RawSocket.frame(Array(candidate.utf8))
            var sent = 0, heardLeft = false
            // In steps of 100, reading what the fast peer is told in between (it reads).
            while sent < 20_000, !heardLeft {
                for _ in 0..<100 where fast.send(frame) { sent += 1 }
                while let t = fast.receiveText(within: 0.01) {
                    if t.contains("peer-left") { heardLeft = true; break }
                }
            }
            outcome.set(sent: sent, closed: slow.closedByPeer(), heard: heardLeft)
        }
        print("slow reader: \(outcome.sent) candidates of 3 KB relayed toward it before it was cut; queue peak \(counters.peakQueuedBytes) bytes, \(counters.sendQueueOverflows) overflow")
        #expect(counters.sendQueueOverflows == 1)
        #expect(counters.peakQueuedBytes <= Self.limit)
        #expect(outcome.heard, "the fast peer did not hear peer-left")
        #expect(outcome.closed)
    }
}

/// What a blocking test body saw, for the assertions after the server stopped.
final class Outcome: Sendable {
    private let values = Mutex((sent: 0, closed: false, heard: false, seconds: 0.0))
    func set(sent: Int, closed: Bool, heard: Bool = false, seconds: Double = 0) { values.withLock { $0 = (sent, closed, heard, seconds) } }
    var seconds: Double { values.withLock { $0.seconds } }
    var sent: Int { values.withLock { $0.sent } }
    var closed: Bool { values.withLock { $0.closed } }
    var heard: Bool { values.withLock { $0.heard } }
}
