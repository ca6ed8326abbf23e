import Foundation
import Testing

/// A call whose peer vanishes says so (consent freshness, RFC 7675).
@Suite(.serialized) struct CallFailureTests {
    typealias Background = CallCommandTests.Background

    @Test("the receiver vanishes (SIGSTOP: no answers, its WHIP endpoint hangs): the sender ends within the consent timeout, says the peer stopped answering consent checks, turns the camera off at once, gives up the DELETE within seconds and exits 1")
    func peerVanishes() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = CallCommandTests.freePort()
        let recv = try Background(["recv", "--whip-listen", "127.0.0.1:\(port)"], in: dir, name: "recv")
        defer { kill(recv.process.processIdentifier, SIGKILL); recv.process.waitUntilExit() }
        #expect(waitFor("waiting for an offer", in: { recv.stderr }, seconds: 20) != nil, "\(recv.stderr)")
        let send = try Background(["send", "--fake-devices", "--allow", "camera,microphone", "--whip", "http://127.0.0.1:\(port)/whip",
                                   "--constraints", #"{"video": {"width": 160, "height": 120, "frameRate": 10}, "audio": true}"#],
                                  in: dir, name: "send")
        defer { if send.process.isRunning { send.process.terminate() } }
        guard waitFor("connected, sending", in: { send.stderr }, seconds: 30) != nil else {
            Issue.record("the call did not start: \(send.stderr)")
            return
        }
        Thread.sleep(forTimeInterval: 2)
        kill(recv.process.processIdentifier, SIGSTOP)
        let stoppedAt = Date()
        let failedAt = waitFor("the call failed", in: { send.stderr }, seconds: 50)
        let cameraOffAt = waitFor("[camera off]", in: { send.stderr }, seconds: 5)
        let exited = send.wait(seconds: 15)
        let exitedAt = Date()
        let stderr = send.stderr
        print("peer vanished: failure noticed after \(failedAt.map { String(format: "%.1f s", $0.timeIntervalSince(stoppedAt)) } ?? "-"), camera off \(cameraOffAt.flatMap { c in failedAt.map { String(format: "%.2f s", c.timeIntervalSince($0)) } } ?? "-") later, exit \(failedAt.map { String(format: "%.1f s", exitedAt.timeIntervalSince($0)) } ?? "-") after the failure")
        let failed = try #require(failedAt, "the sender never noticed: \(stderr)")
        #expect((20...40).contains(failed.timeIntervalSince(stoppedAt)), "consent freshness (RFC 7675) takes about 30 s")
        #expect(stderr.contains("stopped answering ICE consent checks"), "\(stderr)")
        #expect(!stderr.contains("ICE or DTLS"), "\(stderr)")
        let off = try #require(cameraOffAt, "the camera was not released: \(stderr)")
        #expect(off.timeIntervalSince(failed) < 1, "the camera stays on after the failure")
        #expect(exited && send.process.terminationStatus == 1, "status \(send.process.terminationStatus): \(stderr)")
        #expect(exitedAt.timeIntervalSince(failed) < 6, "the WHIP DELETE to a vanished endpoint held the sender")
    }

    @Test("the call ends (--duration) while the WHIP endpoint has stopped answering: camera and microphone are off at once, before the DELETE gives up (3 s), and the sender exits 0")
    func deleteHangsDevicesReleasedFirst() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = CallCommandTests.freePort()
        let recv = try Background(["recv", "--whip-listen", "127.0.0.1:\(port)"], in: dir, name: "recv")
        defer { kill(recv.process.processIdentifier, SIGKILL); recv.process.waitUntilExit() }
        #expect(waitFor("waiting for an offer", in: { recv.stderr }, seconds: 20) != nil, "\(recv.stderr)")
        let send = try Background(["send", "--fake-devices", "--allow", "camera,microphone", "--whip", "http://127.0.0.1:\(port)/whip",
                                   "--duration", "3",
                                   "--constraints", #"{"video": {"width": 160, "height": 120, "frameRate": 10}, "audio": true}"#],
                                  in: dir, name: "send")
        defer { if send.process.isRunning { send.process.terminate() } }
        guard waitFor("connected, sending", in: { send.stderr }, seconds: 30) != nil else {
            Issue.record("the call did not start: \(send.stderr)")
            return
        }
        // The endpoint stops answering before the call ends: its socket still accepts (the
        // kernel's backlog), the DELETE gets no response.
        kill(recv.process.processIdentifier, SIGSTOP)
        let cameraOffAt = waitFor("[camera off]", in: { send.stderr }, seconds: 10)
        let micOffAt = waitFor("[mic off]", in: { send.stderr }, seconds: 1)
        let exited = send.wait(seconds: 15)
        let exitedAt = Date()
        let stderr = send.stderr
        let cameraOff = try #require(cameraOffAt, "the camera was not released: \(stderr)")
        let micOff = try #require(micOffAt, "the microphone was not released: \(stderr)")
        print("DELETE unanswered: devices off \(String(format: "%.2f s", exitedAt.timeIntervalSince(cameraOff))) before the sender exited")
        // Released first: the DELETE (3 s timeout) was still pending when the devices went off.
        #expect(exitedAt.timeIntervalSince(cameraOff) >= 2, "the camera went off only after the DELETE: \(stderr)")
        #expect(exitedAt.timeIntervalSince(micOff) >= 2, "the microphone went off only after the DELETE: \(stderr)")
        #expect(exitedAt.timeIntervalSince(cameraOff) < 8, "the DELETE to an endpoint that does not answer held the sender")
        #expect(exited && send.process.terminationStatus == 0, "status \(send.process.terminationStatus): \(stderr)")
    }
}
