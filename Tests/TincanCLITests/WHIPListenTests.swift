import Foundation
import Testing

/// `curl -s -i`: the status, the response head and the body.
func curl(_ args: [String]) throws -> (status: Int, head: String, body: String) {
    let r = try DebianTool.run("curl", ["-s", "-i", "--max-time", "10"] + args)
    let parts = r.output.components(separatedBy: "\r\n\r\n")
    let head = parts.first ?? ""
    let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return (status, head, parts.dropFirst().joined(separator: "\r\n\r\n"))
}

/// Polls `text()` until it contains `part`; the time it did, or nil after `seconds`.
func waitFor(_ part: String, in text: () -> String, seconds: Double) -> Date? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if text().contains(part) { return Date() }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return nil
}

/// `tincan recv --whip-listen` against bad POSTs and browsers (CORS).
@Suite(.serialized) struct WHIPListenTests {
    typealias Background = CallCommandTests.Background

    @Test("recv --whip-listen: `hello`, an empty body and an offer it cannot answer each get 400 with the reason; a CORS preflight is answered; then a real tincan send gets its call")
    func survivesBadOffers() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = CallCommandTests.freePort()
        let url = "http://127.0.0.1:\(port)/whip"
        let recv = try Background(["recv", "--whip-listen", "127.0.0.1:\(port)", "--duration", "3"], in: dir, name: "recv")
        defer { if recv.process.isRunning { recv.process.terminate() } }
        #expect(waitFor("waiting for an offer", in: { recv.stderr }, seconds: 20) != nil, "\(recv.stderr)")
        let sdp = ["-H", "Content-Type: application/sdp", "-X", "POST"]

        let hello = try curl(sdp + ["--data-binary", "hello", url])
        #expect(hello.status == 400 && hello.body.contains("not an SDP offer"), "\(hello)")
        let empty = try curl(sdp + ["--data-binary", "", url])
        #expect(empty.status == 400 && empty.body.contains("empty"), "\(empty)")
        // Shaped like an offer, but without ICE credentials or a fingerprint: the peer
        // connection refuses it, and so does the endpoint, with the connection's words.
        let bare = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
        let unusable = try curl(sdp + ["--data-binary", bare, url])
        #expect(unusable.status == 400 && unusable.body.contains("the offer cannot be answered"), "\(unusable)")
        #expect(recv.process.isRunning, "the receiver ended: \(recv.stderr)")

        let preflight = try curl(["-X", "OPTIONS", "-H", "Origin: https://page.example", "-H", "Access-Control-Request-Method: POST",
                                  "-H", "Access-Control-Request-Headers: authorization, content-type", url])
        #expect(preflight.status == 204, "\(preflight)")
        #expect(preflight.head.lowercased().contains("access-control-allow-origin: *"), "\(preflight.head)")
        #expect(preflight.head.lowercased().contains("if-match"), "\(preflight.head)")

        let send = try Background(["send", "--fake-devices", "--allow", "camera,microphone", "--whip", url, "--duration", "4",
                                   "--constraints", #"{"video": {"width": 320, "height": 240}, "audio": true}"#], in: dir, name: "send")
        #expect(send.wait(seconds: 40) && send.process.terminationStatus == 0, "send: \(send.stderr)")
        #expect(recv.wait(seconds: 40) && recv.process.terminationStatus == 0, "recv: \(recv.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(recv.stdout.utf8)) as? [String: Any]
        #expect((report?["videoFramesDecoded"] as? Int ?? 0) > 20, "\(recv.stdout)")
    }

    @Test("recv --cors-origins: an allowed origin is echoed, another is refused; --cors-origins without --whip-listen is a usage error")
    func corsOrigins() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = CallCommandTests.freePort()
        let url = "http://127.0.0.1:\(port)/whip"
        let recv = try Background(["recv", "--whip-listen", "127.0.0.1:\(port)", "--cors-origins", "https://studio.example"], in: dir, name: "recv")
        defer { recv.process.terminate(); recv.process.waitUntilExit() }
        #expect(waitFor("waiting for an offer", in: { recv.stderr }, seconds: 20) != nil, "\(recv.stderr)")
        let ok = try curl(["-X", "OPTIONS", "-H", "Origin: https://studio.example", "-H", "Access-Control-Request-Method: POST", url])
        #expect(ok.status == 204 && ok.head.lowercased().contains("access-control-allow-origin: https://studio.example"), "\(ok)")
        let other = try curl(["-X", "OPTIONS", "-H", "Origin: https://elsewhere.example", "-H", "Access-Control-Request-Method: POST", url])
        #expect(other.status == 403 && !other.head.lowercased().contains("access-control-allow-origin"), "\(other)")
        let usage = try TincanBinary.run(["recv", "--offer-in", "a", "--answer-out", "b", "--cors-origins", "*"])
        #expect(usage.status == 2 && usage.stderr.contains("--cors-origins goes with --whip-listen"), "\(usage.status) \(usage.stderr)")
        let help = try TincanBinary.run(["recv", "--help"])
        let words = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("--cors-origins <origins> With --whip-listen") && words.contains("https://app.example. (default: *)"), "\(help.stdout)")
    }
}
