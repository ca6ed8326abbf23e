import ICE
import MediaCapture
import NetworkPrimitives
import PeerConnection
import Synchronization
import Testing

/// Two RTCPeerConnections in one process over UDP on 127.0.0.1: the offer/answer exchange,
/// ICE, DTLS-SRTP, and VP8 + Opus from the fake devices decoded on the other side.
@Suite(.serialized) struct LoopbackCallTests {
    static func configuration() -> RTCConfiguration {
        var c = RTCConfiguration()
        c.restrictToAddresses = [IPAddress("127.0.0.1")!]
        c.ice.maximumRetransmissionTimeout = .milliseconds(500)
        c.ice.checkingTimeout = .seconds(8)
        return c
    }

    static func fakeStream(_ constraints: String) async throws -> MediaStream {
        let devices = MediaDevices(videoDevices: [SyntheticCamera()], audioDevices: [SyntheticMicrophone()],
                                   permissions: StaticPermissions.allowAll, indicator: SilentCaptureIndicator())
        return try await devices.getUserMedia(jsonText: constraints)
    }

    /// Offer from `offerer`, answer from `answerer`, both set locally and the offer remotely;
    /// the caller applies (or tampers with) the answer.
    static func offerAndAnswer(_ offerer: RTCPeerConnection, _ answerer: RTCPeerConnection) async throws -> (offer: RTCSessionDescription, answer: RTCSessionDescription) {
        let offer = try await offerer.createOffer()
        try await offerer.setLocalDescription(offer)
        try await answerer.setRemoteDescription(offer)
        let answer = try await answerer.createAnswer()
        try await answerer.setLocalDescription(answer)
        return (offer, answer)
    }

    final class Counter: Sendable {
        let frames = Mutex<[Int]>([])
        let audio = Mutex(0)
    }

    @Test("Tincan to Tincan: offer, answer, VP8 and Opus decoded, 10 fps from a 30 fps camera")
    func call() async throws {
        let stream = try await Self.fakeStream(#"{"video": {"width": 640, "height": 480, "frameRate": {"ideal": 10, "max": 15}}, "audio": true}"#)
        defer { for t in stream.getTracks() { t.stop() } }
        let sender = try RTCPeerConnection(configuration: Self.configuration())
        let receiver = try RTCPeerConnection(configuration: Self.configuration())
        for t in stream.getTracks() { try sender.addTrack(t) }

        let counter = Counter()
        let watch = Task {
            for await event in receiver.events {
                if case .track(let r, _) = event {
                    r.addVideoSink { frame in
                        if let n = SyntheticPattern.readFrameNumber(from: frame) { counter.frames.withLock { $0.append(n) } }
                    }
                    r.addAudioSink { _ in counter.audio.withLock { $0 += 1 } }
                }
            }
        }
        let (offer, answer) = try await Self.offerAndAnswer(sender, receiver)
        #expect(offer.sdp.contains("a=group:BUNDLE 0 1"))
        #expect(offer.sdp.contains("a=setup:actpass"))
        #expect(answer.sdp.contains("a=setup:active"))
        #expect(answer.sdp.contains("a=recvonly"))
        try await sender.setRemoteDescription(answer)

        try await sender.waitUntilConnected(timeout: .seconds(10))
        try await receiver.waitUntilConnected(timeout: .seconds(10))
        // Count what arrives over a measured interval (a loaded machine oversleeps, and
        // frames decoded while the other side was still connecting come before it).
        let clock = ContinuousClock()
        let startCount = counter.frames.withLock { $0.count }
        let started = clock.now
        try await Task.sleep(for: .seconds(3))
        let frames = counter.frames.withLock { $0 }
        let elapsed = (clock.now - started) / .seconds(1)
        let inWindow = frames.count - startCount
        let audioFrames = counter.audio.withLock { $0 }
        let stats = sender.getStats()
        await sender.close()
        await receiver.close()
        watch.cancel()

        #expect(frames.count >= 25, "decoded \(frames.count) frames in 3 s")
        // 10 fps, never above the constraint's max of 15.
        #expect(Double(inWindow) <= elapsed * 15 + 1, "\(inWindow) frames in \(elapsed) s")
        // 10 fps from a 30 fps camera: every third frame number.
        let steps = zip(frames.dropFirst(), frames).map { $0 - $1 }
        #expect(steps.filter { $0 == 3 }.count >= steps.count - 2, "frame number steps \(steps)")
        #expect(audioFrames >= 120, "decoded \(audioFrames) Opus packets in 3 s")
        let outbound = stats.first(type: "outbound-rtp", kind: "video")
        #expect(outbound?["frameWidth"] == .number(640))
    }

    @Test("removeTrack stops that sender: the peer gets its BYE and no more frames, the other track goes on")
    func removeTrack() async throws {
        let stream = try await Self.fakeStream(#"{"video": {"width": 320, "height": 240}, "audio": true}"#)
        defer { for t in stream.getTracks() { t.stop() } }
        let sender = try RTCPeerConnection(configuration: Self.configuration())
        let receiver = try RTCPeerConnection(configuration: Self.configuration())
        var videoSender: RTCRtpSender?
        for t in stream.getTracks() {
            let s = try sender.addTrack(t)
            if t.kind == "video" { videoSender = s }
        }
        let counter = Counter()
        let ended = Mutex<[String]>([])
        let watch = Task {
            for await event in receiver.events {
                switch event {
                case .track(let r, _):
                    r.addVideoSink { _ in counter.frames.withLock { $0.append(0) } }
                    r.addAudioSink { _ in counter.audio.withLock { $0 += 1 } }
                case .remoteEnded(let r):
                    ended.withLock { $0.append(r.kind.rawValue) }
                default:
                    break
                }
            }
        }
        let (_, answer) = try await Self.offerAndAnswer(sender, receiver)
        try await sender.setRemoteDescription(answer)
        try await sender.waitUntilConnected(timeout: .seconds(10))
        try await Task.sleep(for: .seconds(1))
        try await sender.removeTrack(try #require(videoSender))
        try await Task.sleep(for: .milliseconds(300))
        let framesAtRemoval = counter.frames.withLock { $0.count }
        let audioAtRemoval = counter.audio.withLock { $0 }
        try await Task.sleep(for: .seconds(1))
        let framesAfter = counter.frames.withLock { $0.count }
        let audioAfter = counter.audio.withLock { $0 }
        let endedBeforeClose = ended.withLock { $0 }
        await sender.close()
        await receiver.close()
        watch.cancel()
        #expect(framesAtRemoval > 10)
        #expect(framesAfter == framesAtRemoval, "video kept arriving after removeTrack")
        #expect(audioAfter > audioAtRemoval + 30, "audio stopped too")
        #expect(endedBeforeClose == ["video"], "BYE only for the removed track while the call goes on")
        #expect(stream.getVideoTracks().first?.readyState == .live, "the track belongs to the caller and keeps running")
    }

    @Test("an answer whose fingerprint is not the answerer's certificate fails the call, says why, and no frame is decoded")
    func fingerprintMismatch() async throws {
        let stream = try await Self.fakeStream(#"{"video": {"width": 320, "height": 240}, "audio": false}"#)
        defer { for t in stream.getTracks() { t.stop() } }
        let sender = try RTCPeerConnection(configuration: Self.configuration())
        let receiver = try RTCPeerConnection(configuration: Self.configuration())
        let impostor = try RTCPeerConnection(configuration: Self.configuration())
        for t in stream.getTracks() { try sender.addTrack(t) }
        let counter = Counter()
        let watch = Task {
            for await event in receiver.events {
                if case .track(let r, _) = event { r.addVideoSink { _ in counter.frames.withLock { $0.append(0) } } }
            }
        }
        let (offer, answer) = try await Self.offerAndAnswer(sender, receiver)
        // Someone else's certificate fingerprint in the answer the sender gets.
        try await impostor.setRemoteDescription(offer)
        let other = try await impostor.createAnswer()
        func fingerprintLine(_ sdp: String) -> String? { sdp.split(whereSeparator: \.isNewline).first { $0.hasPrefix("a=fingerprint:") }.map(String.init) }
        let real = try #require(fingerprintLine(answer.sdp)), fake = try #require(fingerprintLine(other.sdp))
        #expect(real != fake)
        try await sender.setRemoteDescription(RTCSessionDescription(type: .answer, sdp: answer.sdp.replacingOccurrences(of: real, with: fake)))
        await #expect(throws: RTCError.self) { try await sender.waitUntilConnected(timeout: .seconds(10)) }
        try await Task.sleep(for: .milliseconds(300))
        let reason = sender.failureReason ?? ""
        await sender.close(); await receiver.close(); await impostor.close()
        watch.cancel()
        #expect(reason.contains("DTLS"), "reason: \(reason)")
        #expect(counter.frames.withLock { $0.count } == 0, "media flowed despite the mismatch")
    }
}
