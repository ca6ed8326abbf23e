import MediaPrimitives
import Testing
@testable import MediaCapture

/// The constraint engine against the text of getusermedia.html: a denied
/// caller learns nothing about the devices, and the allowed required constraints for device
/// selection (backgroundBlur, from mediacapture-extensions, is not one of them).
@Suite struct SpecTextConstraintTests {
    let deniedCamera = StaticPermissions(granted: [.microphone], denied: [.camera])

    @Test("Denied camera: an unsatisfiable video constraint is NotAllowedError, not OverconstrainedError")
    func deniedHidesConstraintFailure() async {
        let e = await failure(#"{"video": {"width": {"min": 5000}}}"#, devices(permissions: deniedCamera))
        #expect(e?.name == .notAllowedError, "\(String(describing: e))")
        #expect(e?.constraint == nil)
        #expect(e?.message.contains("5000") == false && e?.message.contains("Camera") == false)
        // Not denied: the same request still says which constraint failed.
        let open = await failure(#"{"video": {"width": {"min": 5000}}}"#, devices(permissions: StaticPermissions(granted: [])))
        #expect(open?.name == .overconstrainedError && open?.constraint == "width")
    }

    @Test("Denied camera: no camera at all is NotAllowedError, not NotFoundError; so is a failure of another requested kind")
    func deniedHidesMissingDevice() async {
        let e = await failure(#"{"video": true}"#, devices(video: [], permissions: deniedCamera))
        #expect(e?.name == .notAllowedError, "\(String(describing: e))")
        let mixed = await failure(#"{"video": true, "audio": {"sampleRate": {"exact": 8000}}}"#, devices(permissions: deniedCamera))
        #expect(mixed?.name == .notAllowedError, "\(String(describing: mixed))")
        let notDenied = await failure(#"{"video": true}"#, devices(video: [], permissions: StaticPermissions(granted: [.microphone])))
        #expect(notDenied?.name == .notFoundError)
    }

    @Test("--deny (InteractivePermissions) reads as denied without a prompt")
    func interactiveDenied() async {
        let broker = InteractivePermissions(store: PermissionStore(path: temporaryDirectory() + "/p"), denied: [.microphone],
                                            prompt: { _ in Issue.record("prompted"); return .deny })
        #expect(broker.state(.microphone) == .denied && broker.state(.camera) == .prompt)
        let e = await failure(#"{"audio": {"channelCount": {"min": 64}}}"#, devices(permissions: broker))
        #expect(e?.name == .notAllowedError, "\(String(describing: e))")
    }

    @Test("A required backgroundBlur (exact) in getUserMedia is a TypeError, whatever its value", arguments: [
        #"{"video": {"backgroundBlur": {"exact": true}}}"#,
        #"{"video": {"backgroundBlur": {"exact": false}}}"#,
        #"{"video": {"width": 640, "backgroundBlur": {"exact": false, "ideal": true}}}"#,
    ])
    func requiredBlurIsTypeError(_ json: String) async {
        let e = await failure(json)
        #expect(e?.name == .typeError, "\(String(describing: e))")
        #expect(e?.message.contains("backgroundBlur") == true && e?.message.contains("allowed required constraints") == true)
    }

    @Test("backgroundBlur as ideal, bare or in advanced is fine, and a camera without blur reports backgroundBlur: false", arguments: [
        #"{"video": {"backgroundBlur": true}}"#,
        #"{"video": {"backgroundBlur": {"ideal": true}}}"#,
        #"{"video": {"advanced": [{"backgroundBlur": true}, {"width": 1280}]}}"#,
        #"{"video": true, "audio": {"backgroundBlur": {"exact": true}}}"#,
    ])
    func nonRequiredBlur(_ json: String) async throws {
        let s = try #require(await video(json))
        #expect(s.backgroundBlur == false)
        #expect(s.json["backgroundBlur"] == .bool(false))
    }

    @Test("backgroundBlur is listed in getSupportedConstraints, getCapabilities ([false]) and enumerateDevices; never on audio")
    func blurIsExposed() async throws {
        let media = devices()
        #expect(media.getSupportedConstraints().json["backgroundBlur"] == .bool(true))
        let infos = media.enumerateDevices()
        #expect(infos[0].capabilities[.backgroundBlur] == .booleans([false]))
        #expect(infos[1].capabilities[.backgroundBlur] == nil)
        let stream = try await media.getUserMedia(jsonText: #"{"video": true, "audio": true}"#, startCapture: false)
        defer { for t in stream.getTracks() { t.stop() } }
        #expect(stream.getVideoTracks()[0].getCapabilities().json["backgroundBlur"] == .array([.bool(false)]))
        #expect(stream.getAudioTracks()[0].getSettings().backgroundBlur == nil)
    }

    @Test("applyConstraints may require backgroundBlur: exact false holds, exact true is OverconstrainedError(backgroundBlur)")
    func applyRequiresBlur() async throws {
        let stream = try await devices().getUserMedia(jsonText: #"{"video": true}"#, startCapture: false)
        let track = stream.getVideoTracks()[0]
        defer { track.stop() }
        try await track.applyConstraints(jsonText: #"{"backgroundBlur": {"exact": false}}"#)
        do {
            try await track.applyConstraints(jsonText: #"{"backgroundBlur": {"exact": true}}"#)
            Issue.record("a camera without blur satisfied backgroundBlur exact true")
        } catch {
            #expect(error.name == .overconstrainedError && error.constraint == "backgroundBlur")
        }
        #expect(track.getSettings().backgroundBlur == false)
    }

    @Test("A camera that can blur: ideal true selects it on, the default is off")
    func blurringCamera() async throws {
        struct BlurCamera: VideoCaptureDevice {
            let inner = SyntheticCamera(deviceId: "blur", modes: [VideoMode(width: 640, height: 480, frameRate: 30)])
            var deviceId: String { inner.deviceId }
            var groupId: String { inner.groupId }
            var label: String { inner.label }
            var facingMode: String? { nil }
            var modes: [VideoMode] { inner.modes }
            var resizeModes: [String] { inner.resizeModes }
            var backgroundBlur: [Bool] { [true, false] }
            func start(mode: VideoMode, onFrame: @escaping @Sendable (VideoFrame) -> Void,
                       onEnd: @escaping CaptureEndHandler) throws(MediaStreamError) -> CaptureSession {
                try inner.start(mode: mode, onFrame: onFrame, onEnd: onEnd)
            }
        }
        let media = devices(video: [BlurCamera()])
        #expect(await video(#"{"video": {"backgroundBlur": true}}"#, media)?.backgroundBlur == true)
        #expect(await video(#"{"video": true}"#, media)?.backgroundBlur == false)
        #expect(media.enumerateDevices()[0].capabilities[.backgroundBlur] == .booleans([true, false]))
    }
}
