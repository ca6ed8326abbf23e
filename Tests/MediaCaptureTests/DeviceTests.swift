import Dispatch
import MediaPrimitives
import Testing
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
@testable import MediaCapture

func temporaryDirectory() -> String {
    var template = Array("/tmp/tincan-test-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { p in String(cString: mkdtemp(p.baseAddress!)) }
}

@Suite struct DeviceTests {
    @Test("SyntheticPattern: the burned-in frame number and timestamp read back")
    func patternRoundTrip() {
        for n in [0, 1, 29, 123_456, 16_777_215] {
            let f = SyntheticPattern.frame(width: 640, height: 480, frameNumber: n, timestamp: 5_000_000_000 + UInt64(n) * 1_000_000)
            #expect(SyntheticPattern.readFrameNumber(from: f) == n)
            #expect(SyntheticPattern.readTimestampMilliseconds(from: f) == UInt32(5000 + n))
        }
    }

    @Test("SyntheticPattern: survives coding noise and downscaling; nil for other pictures")
    func patternRobust() {
        var f = SyntheticPattern.frame(width: 1280, height: 720, frameNumber: 4242, timestamp: 0)
        var seed: UInt32 = 1
        for i in 0..<(1280 * 720) {
            seed = seed &* 1_103_515_245 &+ 12345
            let noise = Int(seed >> 16 % 81) % 81 - 40
            f.data[i] = UInt8(clamping: Int(f.data[i]) + noise)
        }
        #expect(SyntheticPattern.readFrameNumber(from: f) == 4242)
        let small = VideoShaper(nativeWidth: 1280, nativeHeight: 720, width: 320, height: 180).shape(f)
        #expect(SyntheticPattern.readFrameNumber(from: small) == 4242)
        #expect(SyntheticPattern.readFrameNumber(from: VideoFrame.black(width: 640, height: 480, timestamp: 0)) == nil)
        #expect(SyntheticPattern.readFrameNumber(from: VideoFrame(width: 8, height: 8, data: [], timestamp: 0)) == nil)
    }

    @Test("Fake devices pace themselves: a 30 fps synthetic camera delivers every 33.3 ms")
    func cameraPacing() throws {
        let cam = SyntheticCamera()
        let stamps = Mutex<[UInt64]>([])
        let session = try cam.start(mode: VideoMode(width: 320, height: 240, frameRate: 30), onFrame: { f in
            stamps.withLock { $0.append(MonotonicClock.now()) }
        }, onEnd: { _ in })
        usleep(520_000)
        session.stop()
        let s = stamps.withLock { $0 }
        #expect(s.count >= 10, "\(s.count) frames in 0.52 s")
        let mean = Double((s.last ?? 0) - (s.first ?? 0)) / Double(max(s.count - 1, 1)) / 1e6
        #expect(abs(mean - 33.33) < 3, "mean interval \(mean) ms")
        #expect(cam.openSessionCount == 0)
    }

    /// The ticks a `PacedThread` makes when its first tick holds the thread 3.5 intervals:
    /// (tick number, how late it ran in intervals).
    static func ticksAfterASlowOne(skippingLateTicks: Bool) -> [(n: Int, late: Double)] {
        let interval: UInt64 = 20_000_000
        let ticks = Mutex<[(n: Int, late: Double)]>([])
        let done = DispatchSemaphore(value: 0)
        let thread = PacedThread(interval: interval, skippingLateTicks: skippingLateTicks) { n, deadline in
            let late = Double(MonotonicClock.now() &- deadline) / Double(interval)
            let count = ticks.withLock { t in t.append((n, late)); return t.count }
            if n == 0 { usleep(70_000) }  // a sink slower than 3 frames
            if count == 4 { done.signal(); return false }
            return true
        }
        done.wait()
        thread.stop()
        return ticks.withLock { $0 }
    }

    @Test("PacedThread: after a slow tick a camera's pacing leaves out the ticks whose time passed; a microphone's runs them all")
    func lateTicks() {
        let skipping = Self.ticksAfterASlowOne(skippingLateTicks: true)
        #expect(skipping.count == 4)
        // Tick 0 held the thread 70 ms (3.5 ticks of 20 ms): 1 to 3 are gone, 3 (due at 60 ms)
        // is late by half a tick at most, plus scheduling.
        #expect(skipping.dropFirst().first.map { $0.n >= 3 } == true, "ticks \(skipping.map(\.n))")
        #expect(zip(skipping, skipping.dropFirst()).allSatisfy { $0.n < $1.n })
        #expect(skipping.dropFirst().allSatisfy { $0.late < 2 }, "late by \(skipping.map(\.late)) ticks")
        let catchingUp = Self.ticksAfterASlowOne(skippingLateTicks: false)
        #expect(catchingUp.map(\.n) == [0, 1, 2, 3], "every sample of a microphone comes")
        #expect(catchingUp.dropFirst().first.map { $0.late > 2 } == true, "tick 1 ran late, at once after tick 0")
    }

    @Test("A built-in microphone's 10 ms frames come two at a time, stamped with their start, when their 20 ms period ends")
    func microphonePeriod() throws {
        let pacer = SimulatedPacer(now: 1_000_000_000)
        let mic = SyntheticMicrophone(pacer: pacer)
        let got = Mutex<[(timestamp: UInt64, at: UInt64, frames: Int, first: Int16)]>([])
        let session = try mic.start(mode: mic.defaultMode, onFrame: { frame in
            got.withLock { $0.append((frame.timestamp, pacer.now, frame.frameCount, frame.samples[1])) }
        }, onEnd: { _ in })
        pacer.advance(by: 0.015)
        #expect(got.withLock { $0.isEmpty }, "nothing before the first period ends")
        pacer.advance(by: 0.045)  // to 60 ms
        session.stop()
        let frames = got.withLock { $0 }
        let ms = { (t: UInt64) in Int((t - 1_000_000_000) / 1_000_000) }
        #expect(frames.map { ms($0.timestamp) } == [0, 10, 20, 30, 40, 50], "each 10 ms frame, stamped with its start")
        #expect(frames.map { ms($0.at) } == [20, 20, 40, 40, 60, 60], "delivered when its period ends")
        #expect(frames.allSatisfy { $0.frames == 480 })
        // The tone runs on across frames and periods: frame k holds samples 480 k ...
        let tone = (0..<6).map { k in Int16(8192 * sin(2 * Double.pi * 440 * Double(480 * k + 1) / 48000)) }
        #expect(frames.map(\.first) == tone)
    }

    @Test("SkippedFrames counts the ticks a camera left out from the jumps in the tick numbers")
    func skippedFrames() {
        let skipped = SkippedFrames(label: "test camera")
        for (n, at) in [(0, 0), (1, 33), (4, 133), (5, 166), (9, 300)] { skipped.tick(n, now: UInt64(at) * 1_000_000) }
        #expect(skipped.count == 5, "2 and 3, then 6 to 8")
    }

    @Test("A paced fake camera tolerates slow sinks; a device that does not say does not")
    func slowSinks() throws {
        #expect(SyntheticCamera().toleratesSlowSinks)
        struct Plain: VideoCaptureDevice {
            let deviceId = "plain", groupId = "g", label = "plain", facingMode: String? = nil
            let modes = [VideoMode(width: 320, height: 240, frameRate: 30)], resizeModes = ["none"]
            func start(mode: VideoMode, onFrame: @escaping @Sendable (VideoFrame) -> Void,
                       onEnd: @escaping CaptureEndHandler) throws(MediaStreamError) -> CaptureSession {
                throw MediaStreamError(.notReadableError, "not for opening")
            }
        }
        #expect(!Plain().toleratesSlowSinks)
    }

    @Test("Devices file: a full example, with modes, facingMode, resizeModes and audio defaults")
    func devicesFile() throws {
        let text = #"{"devices": [ {"deviceId": "cam0", "kind": "videoinput", "label": "Front", "groupId": "g0", "facingMode": "user", "modes": [{"width": 1280, "height": 720, "frameRate": 30, "pixelFormat": "NV12"}], "resizeModes": ["none", "crop-and-scale"]}, {"deviceId": "mic0", "kind": "audioinput", "label": "Mic", "groupId": "g0", "sampleRate": [48000], "sampleSize": [16], "channelCount": [1, 2], "echoCancellation": [true, false], "autoGainControl": [true, false], "noiseSuppression": [true, false], "latency": [0.01], "defaults": {"channelCount": 1}} ]}"#
        let d = try DeviceDescriptionFile(jsonText: text)
        #expect(d.videoDevices.count == 1 && d.audioDevices.count == 1)
        #expect(d.videoDevices[0].modes == [VideoMode(width: 1280, height: 720, frameRate: 30, pixelFormat: "NV12")])
        #expect(d.videoDevices[0].facingMode == "user")
        #expect(d.audioDevices[0].defaultMode.channelCount == 1)
        // A described microphone stands in for one in a room: processing on unless its
        // defaults turn some of it off.
        #expect(d.audioDevices[0].processingDefaults == .on)
        let quiet = try DeviceDescriptionFile(jsonText: #"[{"kind": "audioinput", "defaults": {"echoCancellation": false, "autoGainControl": false}}]"#)
        #expect(quiet.audioDevices[0].processingDefaults == AudioProcessingDefaults(echoCancellation: false, noiseSuppression: true, autoGainControl: false))
        let bare = try DeviceDescriptionFile(jsonText: #"[{"kind": "videoinput", "modes": [{"width": 320, "height": 240, "frameRate": 15}]}]"#)
        #expect(bare.videoDevices[0].facingMode == nil)
        #expect(bare.videoDevices[0].modes[0].frameRate == 15)
    }

    @Test("Devices file: bad descriptions are errors with the place named", arguments: [
        "{}", "5", #"[{"kind": "printer"}]"#, #"[{"kind": "videoinput"}]"#,
        #"[{"kind": "videoinput", "modes": [{"width": -1, "height": 2, "frameRate": 30}]}]"#,
        #"[{"kind": "audioinput", "sampleRate": ["fast"]}]"#, "[{", "[3]",
    ])
    func devicesFileErrors(_ text: String) {
        #expect(throws: MediaStreamError.self) { try DeviceDescriptionFile(jsonText: text) }
    }

    @Test("Y4M and WAV file devices: mode from the file, content looped on their clock")
    func fileDevices() async throws {
        let dir = temporaryDirectory()
        let y4m = dir + "/in.y4m", wav = dir + "/in.wav"
        let w = try Y4MWriter(path: y4m, width: 160, height: 120, frameRate: 25)
        for n in 0..<3 { try w.write(SyntheticPattern.frame(width: 160, height: 120, frameNumber: n, timestamp: 0)) }
        try w.close()
        let a = try WAVWriter(path: wav, sampleRate: 16000, channelCount: 1)
        try a.write(AudioFrame(sampleRate: 16000, channelCount: 1, samples: (0..<1600).map { Int16($0) }, timestamp: 0))
        try a.close()
        // The devices and the tracks on a simulated clock: exact counts, no wall-clock window.
        let pacer = SimulatedPacer()
        let cam = try Y4MFileCamera(path: y4m, pacer: pacer)
        #expect(cam.toleratesSlowSinks)
        let mic = try WAVFileMicrophone(path: wav, pacer: pacer)
        #expect(cam.modes == [VideoMode(width: 160, height: 120, frameRate: 25)])
        #expect(mic.capabilities.sampleRates == [16000])
        // The file's samples as they are, with no constraint: a file microphone's processing
        // is off by default (AudioProcessingDefaults).
        #expect(mic.processingDefaults == .off)
        let stream = try await devices(video: [cam], audio: [mic], options: .init(pacer: pacer)).getUserMedia(jsonText: #"{"video": true, "audio": true}"#)
        let settings = stream.getAudioTracks()[0].getSettings()
        #expect(settings.echoCancellation == false && settings.noiseSuppression == false && settings.autoGainControl == false)
        let numbers = Mutex<[Int]>([])
        let samples = Mutex<[Int16]>([])
        stream.getVideoTracks()[0].addVideoSink { f in numbers.withLock { $0.append(SyntheticPattern.readFrameNumber(from: f) ?? -1) } }
        stream.getAudioTracks()[0].addAudioSink { f in samples.withLock { $0 += f.samples } }
        pacer.advance(by: 0.3)
        for t in stream.getTracks() { t.stop() }
        let got = numbers.withLock { $0 }
        // 25 fps for 300 ms: the ticks at 0, 40, ..., 280 ms; the file's three frames in order, looping.
        #expect(got == [0, 1, 2, 0, 1, 2, 0, 1], "\(got)")
        let s = samples.withLock { $0 }
        // 10 ms frames, two at a time at the end of each 20 ms period (MicrophonePeriod):
        // at 20, 40, ..., 300 ms, the frames of 0-300 ms.
        #expect(s.count == 160 * 30)
        #expect(zip(s.dropFirst(), s).allSatisfy { Int($0) == (Int($1) + 1) % 1600 }, "samples in order, looping at the end of the file")
        #expect(s.contains(1599) && s.firstIndex(of: 1599).map { $0 + 1 < s.count ? s[$0 + 1] == 0 : true } == true)
    }

    @Test("A WAV microphone loops a file shorter than a frame, and one that ends inside a frame, sample by sample")
    func wavMicrophoneWraps() async throws {
        for length in [70, 250] {
            let wav = temporaryDirectory() + "/short.wav"
            let a = try WAVWriter(path: wav, sampleRate: 16000, channelCount: 1)
            try a.write(AudioFrame(sampleRate: 16000, channelCount: 1, samples: (0..<length).map { Int16($0) }, timestamp: 0))
            try a.close()
            let pacer = SimulatedPacer()
            let mic = try WAVFileMicrophone(path: wav, pacer: pacer)
            let stream = try await devices(video: [], audio: [mic], options: .init(pacer: pacer)).getUserMedia(jsonText: #"{"audio": true}"#)
            let samples = Mutex<[Int16]>([])
            stream.getAudioTracks()[0].addAudioSink { f in samples.withLock { $0 += f.samples } }
            pacer.advance(by: 0.1)
            for t in stream.getTracks() { t.stop() }
            let s = samples.withLock { $0 }
            // 160 samples per 10 ms frame: the file's samples in order from 0, looping.
            #expect(s.count == 160 * 10)
            #expect(s == (0..<s.count).map { Int16($0 % length) }, "length \(length)")
        }
    }

    @Test("The file and synthetic microphones reuse two sample buffers while the sinks let go of each frame, and never write into a frame a sink keeps")
    func microphonesReuseTheirBuffers() async throws {
        let wav = temporaryDirectory() + "/reuse.wav"
        let a = try WAVWriter(path: wav, sampleRate: 16000, channelCount: 1)
        try a.write(AudioFrame(sampleRate: 16000, channelCount: 1, samples: (0..<1600).map { Int16($0) }, timestamp: 0))
        try a.close()
        for file in [true, false] {
            let pacer = SimulatedPacer()
            let mic: any AudioCaptureDevice = file ? try WAVFileMicrophone(path: wav, pacer: pacer) : SyntheticMicrophone(pacer: pacer)
            let stream = try await devices(video: [], audio: [mic], options: .init(pacer: pacer)).getUserMedia(jsonText: #"{"audio": true}"#)
            let track = stream.getAudioTracks()[0]
            // A sink that lets go of every frame: the pool's two buffers, taken in turn.
            let addresses = Mutex<Set<UInt>>([])
            let token = track.addAudioSink { f in
                f.samples.withUnsafeBufferPointer { p in _ = addresses.withLock { $0.insert(UInt(bitPattern: p.baseAddress)) } }
            }
            pacer.advance(by: 0.5)
            #expect(addresses.withLock { $0.count } == 2, "file: \(file)")
            track.removeSink(token)
            // A sink that keeps every frame: each keeps the samples it was given.
            let kept = Mutex<[(AudioFrame, [Int16])]>([])
            track.addAudioSink { f in kept.withLock { $0.append((f, Array(f.samples))) } }
            pacer.advance(by: 0.2)
            track.stop()
            let frames = kept.withLock { $0 }
            #expect(frames.count == 20)
            #expect(frames.allSatisfy { $0.0.samples == $0.1 }, "a kept frame was written over (file: \(file))")
        }
    }

    @Test("File devices: a missing or malformed file is an error naming it")
    func fileDeviceErrors() {
        #expect(throws: MediaFileError.self) { try Y4MFileCamera(path: "/nonexistent/x.y4m") }
        #expect(throws: MediaFileError.self) { try WAVFileMicrophone(path: "/nonexistent/x.wav") }
    }
}

@Suite struct PermissionTests {
    @Test("User privacy: \"always\" is remembered in the store and can be revoked")
    func storeGrantRevoke() throws {
        let store = PermissionStore(path: temporaryDirectory() + "/tincan/permissions")
        #expect(store.granted().isEmpty)
        try store.grant([.camera])
        #expect(store.granted() == [.camera])
        try store.grant([.microphone])
        try store.revoke([.camera])
        #expect(store.granted() == [.microphone])
        try store.revoke(PermissionName.allCases)
        #expect(store.granted().isEmpty)
    }

    @Test("User privacy: without a grant or a terminal the request is NotAllowedError; how to grant is the caller's (no CLI flag from the library)")
    func noPrompt() async {
        let store = PermissionStore(path: temporaryDirectory() + "/p")
        let plain = InteractivePermissions(store: store, prompt: nil)
        do {
            try await plain.request(PermissionRequest(names: [.camera], deviceLabels: [:]))
            Issue.record("granted")
        } catch {
            #expect(error.name == .notAllowedError)
            #expect(error.message == "permission to use the camera has not been granted")
        }
        let hinted = InteractivePermissions(store: store, denied: [.microphone], prompt: nil,
                                            howToGrant: { "run with --allow \($0.map(\.rawValue).joined(separator: ","))" },
                                            whyDenied: { "--deny \($0.rawValue)" })
        do {
            try await hinted.request(PermissionRequest(names: [.camera], deviceLabels: [:]))
            Issue.record("granted")
        } catch {
            #expect(error.message == "permission to use the camera has not been granted; run with --allow camera")
        }
        do {
            try await hinted.request(PermissionRequest(names: [.microphone], deviceLabels: [:]))
            Issue.record("granted")
        } catch {
            #expect(error.message == "permission to use the microphone was denied (--deny microphone)")
        }
    }

    @Test("User privacy: prompt answers once / always / deny; --deny wins over a stored grant")
    func promptAnswers() async throws {
        let store = PermissionStore(path: temporaryDirectory() + "/p")
        let asked = Mutex<[[PermissionName]]>([])
        func broker(_ answer: PromptAnswer, denied: Set<PermissionName> = []) -> InteractivePermissions {
            InteractivePermissions(store: store, denied: denied, prompt: { r in asked.withLock { $0.append(r.names) }; return answer })
        }
        try await broker(.allowOnce).request(PermissionRequest(names: [.camera], deviceLabels: [.camera: "Cam"]))
        #expect(store.granted().isEmpty)
        await #expect(throws: MediaStreamError.self) { try await broker(.deny).request(PermissionRequest(names: [.camera], deviceLabels: [:])) }
        try await broker(.allowAlways).request(PermissionRequest(names: [.camera, .microphone], deviceLabels: [:]))
        #expect(store.granted() == [.camera, .microphone])
        let before = asked.withLock { $0.count }
        try await broker(.deny).request(PermissionRequest(names: [.camera], deviceLabels: [:]))
        #expect(asked.withLock { $0.count } == before, "a remembered grant does not prompt")
        await #expect(throws: MediaStreamError.self) {
            try await broker(.allowOnce, denied: [.camera]).request(PermissionRequest(names: [.camera], deviceLabels: [:]))
        }
    }

    @Test("User privacy: no device opens before permission is given")
    func noDeviceBeforePermission() async {
        let cam = webcam()
        let media = devices(video: [cam], permissions: StaticPermissions(granted: []))
        _ = try? await media.getUserMedia(jsonText: #"{"video": true}"#)
        #expect(cam.openSessionCount == 0)
    }
}
