import MediaPrimitives
import Testing
import Synchronization
@testable import MediaCapture

/// What a live track delivers matches getSettings() (getusermedia.html §"MediaStreamTrack",
/// §"frameRate" decimation, §"VideoResizeModeEnum" crop-and-scale, §"Life-cycle and media
/// flow": a disabled track renders black frames / silence).
@Suite(.serialized) struct TrackTests {
    final class Collector<T: Sendable>: Sendable {
        let items = Mutex<[(T, UInt64)]>([])
        func add(_ x: T) { items.withLock { $0.append((x, MonotonicClock.now())) } }
        var all: [(T, UInt64)] { items.withLock { $0 } }
        var count: Int { items.withLock { $0.count } }
        func clear() { items.withLock { $0.removeAll() } }
    }

    func sleep(_ s: Double) async { try? await Task.sleep(nanoseconds: UInt64(s * 1e9)) }

    /// A webcam paced by the simulated clock.
    func simulatedWebcam(_ clock: SimulatedPacer) -> SyntheticCamera {
        SyntheticCamera(deviceId: "cam0", groupId: "g0", label: "Camera cam0", facingMode: "user",
                        modes: [VideoMode(width: 640, height: 480, frameRate: 30), VideoMode(width: 1280, height: 720, frameRate: 30)],
                        resizeModes: ["none", "crop-and-scale"], pacer: clock)
    }

    @Test("§frameRate: the track's first sink gets the camera's next frame, then the 10 fps rhythm from it; a second sink does not move the rhythm")
    func firstSinkGetsTheNextFrame() async throws {
        let clock = SimulatedPacer()
        let stream = try await devices(video: [simulatedWebcam(clock)]).getUserMedia(jsonText: #"{"video": {"frameRate": {"ideal": 10, "max": 15}}}"#)
        let track = try #require(stream.getVideoTracks().first)
        // The camera runs without a sink for a while: 1/3 s past a 10 fps slot.
        clock.advance(by: 0.5 + 1.0 / 30)
        let added = clock.now
        let first = Collector<VideoFrame>()
        track.addVideoSink { frame in first.items.withLock { $0.append((frame, clock.now)) } }
        clock.advance(by: 0.2)
        let second = Collector<VideoFrame>()
        track.addVideoSink { frame in second.items.withLock { $0.append((frame, clock.now)) } }
        clock.advance(by: 0.3)
        track.stop()
        let got = first.all
        let wait = try #require(got.first).1 - added
        #expect(wait <= 33_333_334, "the first frame came \(wait / 1_000_000) ms after the sink (a source interval at most)")
        let gaps = zip(got.dropFirst(), got).map { $0.0.timestamp - $1.0.timestamp }
        #expect(gaps.allSatisfy { $0 == 3 * 33_333_333 }, "evenly spaced from there: \(gaps)")
        // The second sink joins the running rhythm: the same frames as the first from then on.
        let later = second.all.map(\.0.timestamp)
        #expect(!later.isEmpty && Set(later).isSubset(of: Set(got.map(\.0.timestamp))))
        // Nor does a sink that replaces the only one (a sender's warm-up sink, then its live one).
        let again = try await devices(video: [simulatedWebcam(clock)]).getUserMedia(jsonText: #"{"video": {"frameRate": {"ideal": 10, "max": 15}}}"#)
        let swapped = try #require(again.getVideoTracks().first)
        let warm = Collector<VideoFrame>(), live = Collector<VideoFrame>()
        let token = swapped.addVideoSink { frame in warm.items.withLock { $0.append((frame, clock.now)) } }
        clock.advance(by: 0.15)
        swapped.removeSink(token)
        swapped.addVideoSink { frame in live.items.withLock { $0.append((frame, clock.now)) } }
        clock.advance(by: 0.3)
        swapped.stop()
        let warmLast = try #require(warm.all.last).0.timestamp
        let liveFirst = try #require(live.all.first).0.timestamp
        #expect(liveFirst - warmLast == 3 * 33_333_333, "the live sink's first frame is the rhythm's next: \((liveFirst - warmLast) / 1_000_000) ms after the warm-up's last")
    }

    @Test("§frameRate: a 30 fps camera under {ideal: 10, max: 15} delivers evenly spaced frames at 10 fps")
    func decimationTiming() async throws {
        let clock = SimulatedPacer()
        let stream = try await devices(video: [simulatedWebcam(clock)]).getUserMedia(jsonText: #"{"video": {"frameRate": {"ideal": 10, "max": 15}}}"#)
        let track = try #require(stream.getVideoTracks().first)
        #expect(track.getSettings().frameRate == 10)
        let frames = Collector<VideoFrame>()
        track.addVideoSink { frame in frames.items.withLock { $0.append((frame, clock.now)) } }
        let started = clock.now
        clock.advance(by: 1.5)
        track.stop()
        let got = frames.all
        // 1.5 s of a 30 fps source is 46 frames (both ends included); every third goes through.
        #expect(got.count == 16, "got \(got.count) frames in 1.5 s")
        #expect(got.first?.0.timestamp == started)
        // Capture timestamps: exactly every third source frame (3 x 33 333 333 ns).
        let gaps = zip(got.dropFirst(), got).map { $0.0.timestamp - $1.0.timestamp }
        #expect(gaps.allSatisfy { $0 == 3 * 33_333_333 }, "timestamp gaps \(gaps)")
        // Each frame reaches the sink at its own capture time: nothing is held back.
        #expect(got.allSatisfy { $0.0.timestamp == $0.1 })
        // The burned-in counter shows every third source frame went through.
        let numbers = got.compactMap { SyntheticPattern.readFrameNumber(from: $0.0) }
        #expect(numbers.count == got.count)
        #expect(zip(numbers.dropFirst(), numbers).allSatisfy { $0 - $1 == 3 }, "\(numbers)")
    }

    @Test("§VideoResizeModeEnum: crop-and-scale output dimensions equal getSettings()")
    func cropAndScaleDimensions() async throws {
        let stream = try await devices().getUserMedia(jsonText: #"{"video": {"width": {"exact": 320}, "height": {"exact": 180}}}"#)
        let track = try #require(stream.getVideoTracks().first)
        let s = track.getSettings()
        #expect(s.width == 320 && s.height == 180 && s.resizeMode == "crop-and-scale")
        let frames = Collector<VideoFrame>()
        track.addVideoSink { frames.add($0) }
        await sleep(0.25)
        track.stop()
        let got = frames.all.map(\.0)
        #expect(!got.isEmpty)
        #expect(got.allSatisfy { $0.width == 320 && $0.height == 180 && $0.data.count == VideoFrame.byteCount(width: 320, height: 180) })
        // Scaled from 1280x720 (same aspect), the counter stays readable.
        #expect(got.allSatisfy { SyntheticPattern.readFrameNumber(from: $0) != nil })
    }

    @Test("§MediaStreamTrack enabled: disabled gives black frames, releases the device after the grace period, re-enabling reopens it")
    func disableReleasesDevice() async throws {
        let clock = SimulatedPacer()
        let cam = simulatedWebcam(clock)
        let indicator = RecordingIndicator()
        let media = devices(video: [cam], indicator: indicator, options: .init(disabledGracePeriod: 0.8, pacer: clock))
        let stream = try await media.getUserMedia(jsonText: #"{"video": {"width": 320, "height": 240}}"#)
        let track = try #require(stream.getVideoTracks().first)
        let frames = Collector<VideoFrame>()
        track.addVideoSink { frames.add($0) }
        clock.advance(by: 0.1)
        #expect(frames.count == 4)
        #expect(cam.openSessionCount == 1)
        #expect(frames.all.allSatisfy { $0.0.data.contains { $0 != 16 } })
        func isBlack(_ f: VideoFrame) -> Bool { f.width == 320 && f.height == 240 && f.data[0..<(320 * 240)].allSatisfy { $0 == 16 } }
        track.enabled = false
        clock.advance(by: 0.1)
        frames.clear()
        clock.advance(by: 0.69)
        #expect(cam.openSessionCount == 1, "still open within the grace period")
        #expect(frames.count == 20 && frames.all.allSatisfy { isBlack($0.0) }, "black while disabled")
        clock.advance(by: 0.01)
        #expect(cam.openSessionCount == 0, "released when the grace period ends")
        #expect(!track.isDeviceOpen)
        #expect(track.readyState == .live)
        frames.clear()
        clock.advance(by: 0.1)
        #expect(frames.count >= 3 && frames.all.allSatisfy { isBlack($0.0) }, "black frames keep flowing after release")
        track.enabled = true
        #expect(cam.openSessionCount == 1)
        frames.clear()
        clock.advance(by: 0.1)
        #expect(frames.count >= 3 && frames.all.allSatisfy { SyntheticPattern.readFrameNumber(from: $0.0) != nil }, "pictures again")
        track.stop()
        #expect(cam.openSessionCount == 0)
        #expect(indicator.states == [.capturing, .paused, .capturing, .off])
    }

    @Test("§MediaStreamTrack ended: the device ending fires ended once, not stop()")
    func endedEvent() async throws {
        let cam = webcam()
        let stream = try await devices(video: [cam]).getUserMedia(jsonText: #"{"video": true}"#)
        let track = try #require(stream.getVideoTracks().first)
        let fired = Mutex(0)
        track.onEnded { fired.withLock { $0 += 1 } }
        cam.simulateEnd(MediaStreamError(.notReadableError, "unplugged"))
        #expect(track.readyState == .ended)
        #expect(fired.withLock { $0 } == 1)
        #expect(track.endError?.name == .notReadableError)
        #expect(!stream.active)

        let stream2 = try await devices(video: [cam]).getUserMedia(jsonText: #"{"video": true}"#)
        let t2 = try #require(stream2.getTracks().first)
        let fired2 = Mutex(0)
        t2.onEnded { fired2.withLock { $0 += 1 } }
        t2.stop()
        #expect(fired2.withLock { $0 } == 0)
        #expect(cam.openSessionCount == 0)
    }

    @Test("§MediaStreamTrack: audio is 10 ms frames of the tone; disabled is silence")
    func audioTrack() async throws {
        let mic = microphone()
        let stream = try await devices(audio: [mic]).getUserMedia(jsonText: #"{"audio": {"channelCount": 2}}"#)
        let track = try #require(stream.getAudioTracks().first)
        let frames = Collector<AudioFrame>()
        track.addAudioSink { frames.add($0) }
        await sleep(0.2)
        track.enabled = false
        await sleep(0.05)
        frames.clear()
        await sleep(0.1)
        let silent = frames.all.map(\.0)
        track.stop()
        #expect(!silent.isEmpty && silent.allSatisfy { $0.samples.allSatisfy { $0 == 0 } })
        #expect(silent.allSatisfy { $0.channelCount == 2 && $0.sampleRate == 48000 && $0.frameCount == 480 })
    }

    @Test("Frames out as an async sequence, which finishes when the track stops")
    func asyncSequence() async throws {
        let stream = try await devices().getUserMedia(jsonText: #"{"video": {"width": 160, "height": 120}}"#)
        let track = try #require(stream.getVideoTracks().first)
        var count = 0
        for await frame in track.videoFrames() {
            #expect(frame.width == 160 && frame.height == 120)
            count += 1
            if count == 3 { track.stop() }
        }
        #expect(count >= 3)
    }

    @Test("applyConstraints on a live track changes what it delivers (new native mode reopens the device)")
    func applyWhileCapturing() async throws {
        let cam = webcam()
        let stream = try await devices(video: [cam]).getUserMedia(jsonText: #"{"video": true}"#)
        let track = try #require(stream.getVideoTracks().first)
        try await track.applyConstraints(jsonText: #"{"width": {"exact": 1280}, "height": {"exact": 720}}"#)
        let frames = Collector<VideoFrame>()
        track.addVideoSink { frames.add($0) }
        await sleep(0.2)
        track.stop()
        #expect(!frames.all.isEmpty)
        #expect(frames.all.allSatisfy { $0.0.width == 1280 && $0.0.height == 720 })
        #expect(cam.openSessionCount == 0)
    }
}
