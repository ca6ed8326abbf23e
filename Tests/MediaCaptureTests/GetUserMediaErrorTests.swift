import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import MediaCapture

/// Every rejection of getUserMedia (getusermedia.html §"MediaDevices", getUserMedia() steps,
/// and §"OverconstrainedError"), each with its DOM name and an actionable message.
@Suite struct GetUserMediaErrorTests {
    @Test("§getUserMedia: NotFoundError when no device of a requested kind exists, in the library's words (the CLI adds its --fake-devices hint)")
    func notFound() async {
        let e = await failure(#"{"video": true}"#, devices(video: [], audio: [microphone()]))
        #expect(e?.name == .notFoundError)
        #expect(e?.message.contains("no video input device") == true)
        #expect(e?.message.contains("--") == false, "a library error names no command-line flag")
        #expect(await failure(#"{"audio": true}"#, devices(video: [webcam()], audio: []))?.name == .notFoundError)
    }

    @Test("§getUserMedia: NotAllowedError when permission is denied, in the library's words; the caller's hint (a CLI flag) is appended")
    func notAllowed() async throws {
        do {
            _ = try await devices(permissions: StaticPermissions(granted: [.microphone])).getUserMedia(jsonText: #"{"video": true}"#)
            Issue.record("resolved without camera permission")
        } catch {
            #expect(error.name == .notAllowedError)
            #expect(error.message == "permission to use the camera has not been granted")
            #expect(!error.message.contains("--"), "a library error names no command-line flag")
        }
        let media = devices(permissions: StaticPermissions(granted: [.microphone], hint: "grant it with --allow camera"))
        await #expect(throws: MediaStreamError.self) { try await media.getUserMedia(jsonText: #"{"video": true}"#) }
        do {
            _ = try await media.getUserMedia(jsonText: #"{"video": true, "audio": true}"#)
            Issue.record("resolved without camera permission")
        } catch {
            #expect(error.name == .notAllowedError)
            #expect(error.message.contains("--allow"))
        }
    }

    @Test("§getUserMedia: permission is asked only after constraints resolve (OverconstrainedError first, no prompt)")
    func overconstrainedBeforePermission() async {
        let e = await failure(#"{"video": {"width": {"min": 5000}}}"#, devices(permissions: StaticPermissions(granted: [])))
        #expect(e?.name == .overconstrainedError)
    }

    @Test("§getUserMedia: NotReadableError when the device is busy; no track is left running")
    func notReadable() async {
        let busy = webcam(startError: MediaStreamError(.notReadableError, "the camera is in use by another process"))
        let mic = microphone()
        let media = devices(video: [busy], audio: [mic])
        do {
            _ = try await media.getUserMedia(jsonText: #"{"video": true, "audio": true}"#)
            Issue.record("resolved with a busy camera")
        } catch {
            #expect(error.name == .notReadableError)
            #expect(error.message.contains("in use"))
        }
        #expect(mic.openSessionCount == 0)
    }

    @Test("§getUserMedia (\"remove the corresponding candidate ... restart these sub steps\"): a busy camera falls back to the next one")
    func fallbackToNextDevice() async throws {
        let busy = webcam(id: "busy", startError: MediaStreamError(.notReadableError, "in use"))
        let spare = webcam(id: "spare")
        let stream = try await devices(video: [busy, spare]).getUserMedia(jsonText: #"{"video": true}"#)
        let track = try #require(stream.getVideoTracks().first)
        #expect(track.getSettings().deviceId == "spare")
        #expect(spare.openSessionCount == 1)
        track.stop()
        // With an exact deviceId there is no other candidate: NotReadableError.
        let e = await failure(#"{"video": {"deviceId": {"exact": "busy"}}}"#, devices(video: [busy, spare]))
        #expect(e == nil, "selection alone does not open the device")
        do {
            _ = try await devices(video: [busy, spare]).getUserMedia(jsonText: #"{"video": {"deviceId": {"exact": "busy"}}}"#)
            Issue.record("resolved")
        } catch {
            #expect(error.name == .notReadableError)
        }
    }

    @Test("Device errors map to DOM names (EBUSY NotReadableError, EACCES NotAllowedError, ENODEV NotFoundError)")
    func errnoMapping() {
        #expect(MediaStreamError.device("cam", errno: EBUSY, during: "open").name == .notReadableError)
        #expect(MediaStreamError.device("cam", errno: EACCES, during: "open").name == .notAllowedError)
        #expect(MediaStreamError.device("cam", errno: ENODEV, during: "VIDIOC_STREAMON").name == .notFoundError)
        #expect(MediaStreamError.device("cam", errno: EIO, during: "read").name == .notReadableError)
        #expect(MediaStreamError.device("cam", errno: EINVAL, during: "VIDIOC_S_FMT").name == .abortError)
        #expect(MediaStreamError.device("cam", errno: EBUSY, during: "open").message.contains("another program"))
    }

    @Test("§getUserMedia: a device failing for another reason is AbortError")
    func abort() async {
        let broken = webcam(startError: MediaStreamError(.typeError, "driver fault"))
        do {
            _ = try await devices(video: [broken]).getUserMedia(jsonText: #"{"video": true}"#)
            Issue.record("resolved with a broken camera")
        } catch {
            #expect(error.name == .abortError)
        }
    }

    @Test("MDN getUserMedia exceptions (SecurityError: media support disabled; today's §getUserMedia folds policy into Permission Failure): SecurityError when capture is disabled by policy")
    func security() async {
        let e = await failure(#"{"video": true}"#, devices(options: .init(captureAllowedByPolicy: false)))
        #expect(e?.name == .securityError)
    }

    @Test("§OverconstrainedError: the constraint attribute names what failed, the message the capabilities")
    func overconstrainedMessage() async {
        let e = await failure(#"{"video": {"height": {"exact": 4000}}}"#)
        #expect(e?.constraint == "height")
        #expect(e?.message.contains("max") == true)
    }

    @Test("§getUserMedia: TypeError for a non-object argument")
    func typeErrorForNonObject() async {
        #expect(await failure("true")?.name == .typeError)
        #expect(await failure(#""video""#)?.name == .typeError)
    }

    @Test("§MediaDevices getSupportedConstraints(): every constrainable property is true")
    func supportedConstraints() {
        let s = devices().getSupportedConstraints().json
        for p in ConstrainableProperty.allCases { #expect(s[p.rawValue] == .bool(true)) }
    }

    @Test("§enumerateDevices: devices in order, with kind, label, groupId and capabilities")
    func enumerate() {
        let infos = devices().enumerateDevices()
        #expect(infos.map(\.kind) == [.videoinput, .audioinput])
        #expect(infos[0].capabilities[.width] == .range(min: 1, max: 1280))
        #expect(infos[0].capabilities[.frameRate] == .range(min: 0, max: 30))
        #expect(infos[0].capabilities[.resizeMode] == .list(["none", "crop-and-scale"]))
        #expect(infos[1].capabilities[.channelCount] == .range(min: 1, max: 2))
    }
}

/// applyConstraints (§"Constrainable Pattern", applyConstraints template method and the
/// ApplyConstraints algorithm).
@Suite struct ApplyConstraintsTests {
    func track(_ json: String = #"{"video": true}"#) async throws -> MediaStreamTrack {
        let stream = try await devices().getUserMedia(jsonText: json, startCapture: false)
        return try #require(stream.getTracks().first)
    }

    @Test("applyConstraints: success replaces settings and getConstraints()")
    func success() async throws {
        let t = try await track()
        try await t.applyConstraints(jsonText: #"{"width": 1280, "height": 720}"#)
        #expect(t.getSettings().width == 1280 && t.getSettings().height == 720)
        #expect(t.getConstraints().basic[.width] == .numeric(NumericConstraint(bare: 1280)))
    }

    @Test("applyConstraints: failure rejects OverconstrainedError and leaves settings and constraints unchanged")
    func failureUnchanged() async throws {
        let t = try await track(#"{"video": {"width": 320}}"#)
        let before = t.getSettings(), constraintsBefore = t.getConstraints()
        do {
            try await t.applyConstraints(jsonText: #"{"width": {"min": 5000}}"#)
            Issue.record("resolved")
        } catch {
            #expect(error.name == .overconstrainedError && error.constraint == "width")
        }
        #expect(t.getSettings() == before)
        #expect(t.getConstraints() == constraintsBefore)
    }

    @Test("applyConstraints: the device cannot change (deviceId exact of another device fails)")
    func deviceFixed() async throws {
        let t = try await track()
        await #expect(throws: MediaStreamError.self) { try await t.applyConstraints(jsonText: #"{"deviceId": {"exact": "other"}}"#) }
        #expect(t.getSettings().deviceId == "cam0")
    }

    @Test("applyConstraints({}) removes constraints: back to the defaults")
    func emptyResets() async throws {
        let t = try await track(#"{"video": {"width": 1280, "frameRate": 10}}"#)
        try await t.applyConstraints()
        #expect(t.getSettings().width == 640 && t.getSettings().frameRate == 30)
    }

    @Test("applyConstraints: audio channelCount exact 2 then exact 3 (fails, stays 2)")
    func audioApply() async throws {
        let t = try await track(#"{"audio": true}"#)
        try await t.applyConstraints(jsonText: #"{"channelCount": {"exact": 2}}"#)
        #expect(t.getSettings().channelCount == 2)
        await #expect(throws: MediaStreamError.self) { try await t.applyConstraints(jsonText: #"{"channelCount": {"exact": 3}}"#) }
        #expect(t.getSettings().channelCount == 2)
    }

    @Test("§getCapabilities: a track reports its device's capabilities")
    func capabilities() async throws {
        let t = try await track()
        #expect(t.getCapabilities()[.deviceId] == .string("cam0"))
        #expect(t.getCapabilities()[.facingMode] == .list(["user"]))
        #expect(t.kind == "video" && t.readyState == .live)
        t.stop()
        #expect(t.readyState == .ended)
    }
}
