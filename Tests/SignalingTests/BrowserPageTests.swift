import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import Signaling
import Synchronization
import Testing

/// One page of a headless Chromium, driven over the DevTools protocol (Runtime.evaluate).
final class DevToolsPage: Sendable {
    private let incoming = Mailbox<String>()
    private let outgoing: AsyncStream<String>.Continuation
    private let task: Task<Void, Never>
    private let nextID = Mutex(0)

    init(webSocketURL: String) {
        let (stream, sink) = AsyncStream<String>.makeStream()
        outgoing = sink
        let incoming = self.incoming
        task = Task {
            do {
                try await WebSocketClient.connect(
                    url: webSocketURL, configuration: .init(maxFrameSize: 1 << 24),
                    logger: Logger(label: "cdp", factory: { _ in SwiftLogNoOpLogHandler() })
                ) { inbound, outbound, _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { for await text in stream { try await outbound.writeTextMessage(text) } }
                        group.addTask {
                            for try await m in inbound.messages(maxSize: 1 << 24) { if case .text(let t) = m { incoming.put(t) } }
                        }
                        _ = try await group.next()
                        group.cancelAll()
                    }
                }
            } catch {}
            incoming.fail(SignalingError.connectionClosed("DevTools connection closed"))
        }
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns its value as text.
    func evaluate(_ expression: String) async throws -> String {
        let id = nextID.withLock { $0 += 1; return $0 }
        let request: [String: Any] = ["id": id, "method": "Runtime.evaluate",
                                      "params": ["expression": expression, "awaitPromise": true, "returnByValue": true]]
        outgoing.yield(String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self))
        while true {
            let text = try await incoming.receive(timeout: .seconds(20), "DevTools reply")
            guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  object["id"] as? Int == id else { continue }
            let result = (object["result"] as? [String: Any]) ?? [:]
            if let exception = result["exceptionDetails"] { return "exception: \(exception)" }
            let value = (result["result"] as? [String: Any])?["value"]
            return value.map { "\($0)" } ?? "undefined"
        }
    }

    func close() {
        outgoing.finish()
        task.cancel()
    }
}

/// The call page in a real browser: two headless Chromium tabs with fake cameras join one
/// room through `/` and get each other's video; a hang-up reaches the other tab as `bye`; a
/// WHIP offer made in the browser is answered by the page in the room (201, connected), and
/// its DELETE reaches the page as `bye`.
@Suite(.serialized, .timeLimit(.minutes(2))) struct BrowserPageTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Polls `expression` in `page` until it returns true (as text) or `seconds` pass.
    func eventually(_ page: DevToolsPage, _ expression: String, seconds: Double = 20) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await page.evaluate("(async () => String(await (\(expression))))()") == "true" { return true }
            try await Task.sleep(for: .milliseconds(250))
        }
        return false
    }

    @Test("two Chromium tabs call each other through the page; hang-up is a bye; a browser WHIP offer is answered by the page")
    func pageCallsThroughServer() async throws {
        guard let chromium = Self.chromium else {
            Issue.record("chromium is not installed: run scripts/install-deps --tests")
            return
        }
        try await withServer { port in
            let profile = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: profile) }
            let page = "http://127.0.0.1:\(port)/?room=browsers"
            let browser = Process()
            browser.executableURL = URL(fileURLWithPath: chromium)
            browser.arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                                 "--remote-debugging-port=0", "--remote-allow-origins=*", "--user-data-dir=\(profile.path)", page]
            browser.standardOutput = FileHandle.nullDevice
            browser.standardError = FileHandle.nullDevice
            try browser.run()
            defer {
                browser.terminate()
                browser.waitUntilExit()
            }
            // Chromium writes the DevTools port it bound into the profile.
            let portFile = profile.appendingPathComponent("DevToolsActivePort").path
            var devToolsPort: String?
            for _ in 0..<100 where devToolsPort == nil {
                if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let first = text.split(separator: "\n").first {
                    devToolsPort = String(first)
                } else {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            guard let devToolsPort else { Issue.record("Chromium did not start its DevTools server"); return }
            // Headless Chromium opens one URL from the command line; the second tab comes by DevTools.
            let opened = try await http(.PUT, "http://127.0.0.1:\(devToolsPort)/json/new?\(page)")
            #expect(opened.status == 200, "\(opened.body)")
            var targets: [[String: Any]] = []
            for _ in 0..<50 {
                let list = try await http(.GET, "http://127.0.0.1:\(devToolsPort)/json/list")
                targets = ((try? JSONSerialization.jsonObject(with: Data(list.body.utf8))) as? [[String: Any]] ?? [])
                    .filter { $0["type"] as? String == "page" && ($0["url"] as? String ?? "").contains("room=browsers") }
                if targets.count == 2 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let urls = targets.compactMap { $0["webSocketDebuggerUrl"] as? String }
            guard urls.count == 2 else { Issue.record("expected 2 tabs, found \(targets.count)"); return }
            let a = DevToolsPage(webSocketURL: urls[0]), b = DevToolsPage(webSocketURL: urls[1])
            defer { a.close(); b.close() }

            // In a call, and video bytes arrive (a background tab may not paint, so no videoWidth).
            let inCall = #"""
                (async () => {
                  if (!pc || document.getElementById("status").textContent !== "in a call") return false;
                  let bytes = 0;
                  (await pc.getStats()).forEach(r => { if (r.type === "inbound-rtp" && r.kind === "video") bytes += r.bytesReceived; });
                  return bytes > 0;
                })()
                """#
            let status = #"document.getElementById("status").textContent + " | " + document.getElementById("log").innerText"#
            let aInCall = try await eventually(a, inCall), bInCall = try await eventually(b, inCall)
            let aStatus = try await a.evaluate(status), bStatus = try await b.evaluate(status)
            #expect(aInCall, "\(aStatus)")
            #expect(bInCall, "\(bStatus)")

            // A hangs up: B hears bye.
            _ = try await a.evaluate(#"document.getElementById("hangup").click(); "ok""#)
            #expect(try await eventually(b, #"document.getElementById("status").textContent.startsWith("the other peer hung up")"#, seconds: 5))

            // B leaves the room; a WHIP client made in A's browser offers to the page in A.
            _ = try await b.evaluate(#"location.href = "about:blank"; "ok""#)
            #expect(try await eventually(a, #"document.getElementById("log").innerText.includes("left the room")"#, seconds: 5))
            let whip = try await a.evaluate(#"""
                (async () => {
                  const pc = new RTCPeerConnection();
                  pc.addTransceiver("video", { direction: "recvonly" });
                  pc.addTransceiver("audio", { direction: "recvonly" });
                  await pc.setLocalDescription(await pc.createOffer());
                  await new Promise(r => { if (pc.iceGatheringState === "complete") r(); pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && r(); setTimeout(r, 3000); });
                  const res = await fetch("/whip/browsers", { method: "POST", headers: { "Content-Type": "application/sdp" }, body: pc.localDescription.sdp });
                  if (res.status !== 201) return "POST " + res.status + " " + await res.text();
                  const location = res.headers.get("Location");
                  await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
                  await new Promise(r => { if (pc.connectionState === "connected") r(); pc.onconnectionstatechange = () => pc.connectionState === "connected" && r(); setTimeout(r, 10000); });
                  const state = pc.connectionState;
                  const del = await fetch(location, { method: "DELETE" });
                  pc.close();
                  return "201 " + state + " DELETE " + del.status;
                })()
                """#)
            #expect(whip == "201 connected DELETE 200")
            #expect(try await eventually(a, #"document.getElementById("status").textContent.includes("WHIP session deleted")"#, seconds: 5))
        }
    }
}
