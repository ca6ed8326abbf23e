import PeerConnection
import Synchronization
import Testing

/// `waitUntilConnected(timeout:)` ends at its timeout even when the connection never reaches
/// connected, failed or closed. (Found through NATs: with a TURN allocation the server had
/// dropped, ICE went on checking and `tincan call` waited ten minutes instead of 20 s.)
@Suite struct WaitUntilConnectedTests {
    @Test("a connection that stays new: waitUntilConnected(timeout: 200 ms) throws the timeout, and returns")
    func timesOutWhileNothingHappens() async throws {
        let pc = try RTCPeerConnection(configuration: LoopbackCallTests.configuration())
        let outcome = Mutex<String?>(nil)
        let waiting = Task {
            do {
                try await pc.waitUntilConnected(timeout: .milliseconds(200))
                outcome.withLock { $0 = "connected" }
            } catch {
                outcome.withLock { $0 = "\(error)" }
            }
        }
        // Generous: the bound only tells "returned at its timeout" from "never returned".
        for _ in 0..<100 where outcome.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(50)) }
        let result = outcome.withLock { $0 }
        #expect(result?.contains("not connected after") == true, "waitUntilConnected did not return within 5 s: \(result ?? "still waiting")")
        await pc.close()
        _ = await waiting.result
        #expect(pc.connectionState == .closed)
    }
}
