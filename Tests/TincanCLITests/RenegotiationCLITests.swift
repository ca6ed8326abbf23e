import Foundation
import Testing

/// Two `tincan call` processes in a tincan-signal room on 127.0.0.1 change the call while it
/// runs, through the commands on standard input: a second camera track added, then removed,
/// then an ICE restart; and both sides adding a track at the same moment (glare, resolved by
/// "perfect negotiation": the answering side is polite). Each side's summary says what it
/// received per track and what the renegotiation did.
@Suite(.serialized) struct RenegotiationCLITests {
    typealias Background = CallCommandTests.Background

    static func summary(_ p: Background) throws -> [String: Any] {
        let line = try #require(p.stdout.split(separator: "\n").last, "no summary: \(p.stderr.suffix(2000))")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    static func tracks(_ summary: [String: Any]) -> [[String: Any]] { summary["receivedTracks"] as? [[String: Any]] ?? [] }

    static func call(_ role: [String], room: String, port: Int, seconds: Int, in dir: URL, name: String) throws -> Background {
        try Background(["call", "--fake-devices", "--allow", "camera,microphone", "--signal", "ws://127.0.0.1:\(port)", "--room", room,
                        "--duration", "\(seconds)", "--no-window", "--no-audio-output",
                        "--constraints", #"{"video": {"width": 320, "height": 240}, "audio": true}"#] + role,
                       in: dir, name: name, stdin: true)
    }

    @Test("add-video, remove-video and restart-ice mid-call: the other side gets the second track, sees it end, and the first plays on")
    func addRemoveRestart() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try SignalServer.start()
        defer { server.stop() }
        let b = try Self.call(["--answer"], room: "r", port: server.port, seconds: 24, in: dir, name: "b")
        let a = try Self.call([], room: "r", port: server.port, seconds: 20, in: dir, name: "a")
        try #require(a.waitForStderr("connected in", seconds: 15), "A: \(a.stderr)")
        Thread.sleep(forTimeInterval: 1)

        a.type("add-video")
        #expect(b.waitForStderr("the other side added a video track (mid 2)", seconds: 10), "B: \(b.stderr)")
        Thread.sleep(forTimeInterval: 4)
        a.type("remove-video")
        #expect(b.waitForStderr("the other side's video track (mid 2) ended", seconds: 10), "B: \(b.stderr)")
        Thread.sleep(forTimeInterval: 1)
        a.type("restart-ice")
        #expect(a.waitForStderr("restarting ICE", seconds: 5))
        let aExited = a.wait(seconds: 30), bExited = b.wait(seconds: 15)
        #expect(aExited && a.process.terminationStatus == 0, "A: \(a.stderr.suffix(3000))")
        #expect(bExited && b.process.terminationStatus == 0, "B: \(b.stderr.suffix(3000))")

        let sa = try Self.summary(a), sb = try Self.summary(b)
        let renegotiationA = try #require(sa["renegotiation"] as? [String: Any])
        #expect(renegotiationA["offersSent"] as? Double == 3 && renegotiationA["answersReceived"] as? Double == 3, "\(renegotiationA)")
        #expect(renegotiationA["iceRestarts"] as? Double == 1 && renegotiationA["failures"] as? Double == 0, "\(renegotiationA)")
        #expect((sb["renegotiation"] as? [String: Any])?["failures"] as? Double == 0)
        let received = Self.tracks(sb)
        print("renegotiation: A \(renegotiationA); B received \(received)")
        try #require(received.count == 3, "B's tracks: \(received)")
        let second = received[2]
        #expect(second["mid"] as? String == "2" && second["kind"] as? String == "video")
        #expect((second["framesDecoded"] as? Double ?? 0) >= 60, "the second camera played at B for about 4 s: \(second)")
        // The first camera played through all of it, the ICE restart included.
        let sent = ((sa["sent"] as? [String: Any])?["videoFramesSent"] as? Double) ?? 0
        let first = received[0]["framesDecoded"] as? Double ?? 0
        #expect(sent >= 450 && first >= sent * 0.9, "B decoded \(first) of the \(sent) frames of A's first camera")
        #expect(a.stderr.contains("renegotiated"), "\(a.stderr)")
    }

    @Test("both sides add a camera at the same moment: the colliding offers resolve (the answering side is polite) and each side receives the other's second track")
    func glare() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try SignalServer.start()
        defer { server.stop() }
        let b = try Self.call(["--answer"], room: "g", port: server.port, seconds: 14, in: dir, name: "b")
        let a = try Self.call([], room: "g", port: server.port, seconds: 12, in: dir, name: "a")
        try #require(a.waitForStderr("connected in", seconds: 15), "A: \(a.stderr)")
        try #require(b.waitForStderr("connected in", seconds: 15), "B: \(b.stderr)")
        Thread.sleep(forTimeInterval: 1)
        a.type("add-video")
        b.type("add-video")
        #expect(a.waitForStderr("the other side added a video track", seconds: 10), "A: \(a.stderr)")
        #expect(b.waitForStderr("the other side added a video track", seconds: 10), "B: \(b.stderr)")
        let aExited = a.wait(seconds: 30), bExited = b.wait(seconds: 15)
        #expect(aExited && a.process.terminationStatus == 0, "A: \(a.stderr.suffix(3000))")
        #expect(bExited && b.process.terminationStatus == 0, "B: \(b.stderr.suffix(3000))")
        let sa = try Self.summary(a), sb = try Self.summary(b)
        for (name, s) in [("A", sa), ("B", sb)] {
            let tracks = Self.tracks(s).filter { $0["kind"] as? String == "video" }
            #expect(tracks.count == 2, "\(name) received \(tracks)")
            #expect(tracks.allSatisfy { ($0["framesDecoded"] as? Double ?? 0) >= 30 }, "\(name): \(tracks)")
            #expect((s["renegotiation"] as? [String: Any])?["failures"] as? Double == 0, "\(name): \(s["renegotiation"] ?? "none")")
        }
        print("glare: A \(sa["renegotiation"] ?? ""), B \(sb["renegotiation"] ?? "")")
    }
}
