import MediaPrimitives
import Testing
@testable import MediaCapture

/// SelectSettings and the fitness distance, from the text of w3c/mediacapture-main
/// getusermedia.html (§ "Constrainable Pattern", "applyConstraints template method": the
/// fitness distance definition, the SelectSettings algorithm and the note on defaults), and
/// the examples of the MDN getUserMedia page.
@Suite struct SelectSettingsTests {
    // MARK: MDN getUserMedia examples and Chromium reference results

    @Test("MDN / §Constrainable Pattern: bare 1280x720 is ideal and met natively")
    func mdn1280x720() async {
        let s = await video(#"{"audio": true, "video": {"width": 1280, "height": 720}}"#)
        #expect(s?.width == 1280 && s?.height == 720)
        #expect(s?.resizeMode == "none")
    }

    @Test("MDN: min/ideal/max width and height give the ideal 1280x720")
    func mdnMinIdealMax() async {
        let s = await video(#"{"video": {"width": {"min": 1024, "ideal": 1280, "max": 1920}, "height": {"min": 576, "ideal": 720, "max": 1080}}}"#)
        #expect(s?.width == 1280 && s?.height == 720)
    }

    @Test("MDN: ideal only, on a camera without 720p, gives the closest (no upscaling, §VideoResizeModeEnum)")
    func mdnIdealOnlyClosest() async {
        let cam = webcam(modes: [VideoMode(width: 640, height: 480, frameRate: 30)])
        let s = await video(#"{"video": {"width": {"ideal": 1280}, "height": {"ideal": 720}}}"#, devices(video: [cam]))
        #expect(s?.width == 640 && s?.height == 480)
    }

    @Test("MDN: ideal only 1280x720 on a 720p camera")
    func mdnIdealOnly() async {
        let s = await video(#"{"video": {"width": {"ideal": 1280}, "height": {"ideal": 720}}}"#)
        #expect(s?.width == 1280 && s?.height == 720)
    }

    @Test("MDN: facingMode \"user\" (ideal) picks the front camera among two")
    func mdnFacingUser() async {
        let media = devices(video: [webcam(id: "back", facing: "environment"), webcam(id: "front", facing: "user")])
        let s = await video(#"{"video": {"facingMode": "user"}}"#, media)
        #expect(s?.deviceId == "front" && s?.facingMode == "user")
    }

    @Test("MDN: facingMode {exact: \"environment\"} picks the back camera")
    func mdnFacingExactEnvironment() async {
        let media = devices(video: [webcam(id: "front", facing: "user"), webcam(id: "back", facing: "environment")])
        let s = await video(#"{"video": {"facingMode": {"exact": "environment"}}}"#, media)
        #expect(s?.deviceId == "back")
    }

    @Test("MDN / §fitness distance step 2: exact environment with only a user camera is OverconstrainedError facingMode")
    func mdnFacingExactEnvironmentMissing() async {
        let e = await failure(#"{"video": {"facingMode": {"exact": "environment"}}}"#)
        #expect(e?.name == .overconstrainedError && e?.constraint == "facingMode")
    }

    @Test("§fitness distance step 2: exact facingMode on a camera that reports none fails (member does not exist)")
    func facingModeAbsent() async {
        let media = devices(video: [webcam(facing: nil)])
        #expect(await failure(#"{"video": {"facingMode": {"exact": "user"}}}"#, media)?.constraint == "facingMode")
        // Ideal facingMode on such a camera costs 1 (step 5) but still succeeds.
        #expect(await video(#"{"video": {"facingMode": "user"}}"#, media)?.facingMode == nil)
    }

    @Test("MDN / §frameRate: {ideal: 10, max: 15} on a 30 fps camera gives 10 (decimation)")
    func mdnFrameRateDecimated() async {
        let s = await video(#"{"video": {"frameRate": {"ideal": 10, "max": 15}}}"#)
        #expect(s?.frameRate == 10)
        #expect(s?.resizeMode == "crop-and-scale")
    }

    @Test("Chromium reference: 1280x720 with frameRate {ideal: 10, max: 15} gives 1280x720 at 10 fps")
    func chromiumReference720p10() async {
        let s = await video(#"{"video": {"width": 1280, "height": 720, "frameRate": {"ideal": 10, "max": 15}}}"#)
        #expect(s?.width == 1280 && s?.height == 720 && s?.frameRate == 10)
    }

    @Test("Chromium reference / ApplyConstraints step 2: width {min: 5000} rejects OverconstrainedError \"width\"")
    func chromiumMinWidth5000() async {
        let e = await failure(#"{"video": {"width": {"min": 5000}}}"#)
        #expect(e?.name == .overconstrainedError)
        #expect(e?.constraint == "width")
    }

    // MARK: The fitness distance

    @Test("§fitness distance step 7: |actual - ideal| / max(|actual|, |ideal|)")
    func numericFormula() {
        var s = MediaTrackSettings()
        s[.width] = .number(640)
        let c = Constraint.numeric(NumericConstraint(ideal: 1280))
        #expect(SelectSettings.distance(s, .width, c, bareIsExact: false, kind: .videoinput) == 0.5)
        let bare = Constraint.numeric(NumericConstraint(bare: 320))
        #expect(SelectSettings.distance(s, .width, bare, bareIsExact: false, kind: .videoinput) == 0.5)
    }

    @Test("§fitness distance step 8: strings and booleans cost 0 or 1; a list matches any member")
    func stringFormula() {
        var s = MediaTrackSettings()
        s[.facingMode] = .string("user")
        s[.echoCancellation] = .bool(false)
        let list = Constraint.string(StringConstraint(ideal: ["environment", "user"]))
        #expect(SelectSettings.distance(s, .facingMode, list, bareIsExact: false, kind: .videoinput) == 0)
        let other = Constraint.string(StringConstraint(ideal: ["environment"]))
        #expect(SelectSettings.distance(s, .facingMode, other, bareIsExact: false, kind: .videoinput) == 1)
        let ec = Constraint.boolean(BooleanConstraint(ideal: true))
        #expect(SelectSettings.distance(s, .echoCancellation, ec, bareIsExact: false, kind: .audioinput) == 1)
    }

    @Test("§fitness distance step 2: a required constraint not met is infinite; bare is exact only in advanced")
    func requiredInfinite() {
        var s = MediaTrackSettings()
        s[.width] = .number(640)
        let bare = Constraint.numeric(NumericConstraint(bare: 1280))
        #expect(SelectSettings.distance(s, .width, bare, bareIsExact: true, kind: .videoinput) == .infinity)
        #expect(SelectSettings.distance(s, .width, bare, bareIsExact: false, kind: .videoinput) == 0.5)
        let range = Constraint.numeric(NumericConstraint(min: 100, max: 639))
        #expect(SelectSettings.distance(s, .width, range, bareIsExact: false, kind: .videoinput) == .infinity)
    }

    @Test("§fitness distance step 6: min/max without ideal cost 0 when met")
    func noIdealZero() {
        var s = MediaTrackSettings()
        s[.frameRate] = .number(30)
        let c = Constraint.numeric(NumericConstraint(min: 10, max: 60))
        #expect(SelectSettings.distance(s, .frameRate, c, bareIsExact: false, kind: .videoinput) == 0)
    }

    @Test("§getUserMedia (remove properties not defined for kind) / §fitness distance step 3: video constraints in \"audio\" are ignored")
    func notApplicable() async {
        let s = await audio(#"{"audio": {"width": {"exact": 1280}, "frameRate": 5}, "video": {"channelCount": {"exact": 7}}}"#)
        #expect(s?.sampleRate == 48000)
        #expect(await video(#"{"video": {"sampleRate": {"min": 1000000}}}"#)?.width == 640)
    }

    @Test("§fitness distance step 5: an ideal for a member the settings lack costs 1")
    func missingMemberCostsOne() {
        let s = MediaTrackSettings()
        let c = Constraint.numeric(NumericConstraint(ideal: 5))
        #expect(SelectSettings.distance(s, .width, c, bareIsExact: false, kind: .videoinput) == 1)
    }

    // MARK: SelectSettings

    @Test("§SelectSettings step 5: advanced sets apply in order; the first satisfiable wins")
    func advancedInOrder() async {
        let s = await video(#"{"video": {"advanced": [{"width": 1280, "height": 720}, {"width": 640, "height": 480}]}}"#)
        #expect(s?.width == 1280 && s?.height == 720)
    }

    @Test("§SelectSettings step 5: an unsatisfiable advanced set is skipped")
    func advancedSkipped() async {
        let s = await video(#"{"video": {"advanced": [{"width": 4000}, {"width": 320, "height": 240}]}}"#)
        #expect(s?.width == 320 && s?.height == 240)
    }

    @Test("§Constrainable Pattern example: 1920x1280 skipped, aspectRatio 4/3 applied, frameRate min 50/40 skipped")
    func specAdvancedExample() async {
        let s = await video(#"{"video": {"width": {"min": 640, "ideal": 1280}, "height": {"min": 480, "ideal": 720}, "frameRate": {"min": 30}, "advanced": [{"width": 1920, "height": 1280}, {"aspectRatio": 1.3333333333}, {"frameRate": {"min": 50}}, {"frameRate": {"min": 40}}]}}"#)
        #expect(s?.aspectRatio == 1.3333333333)
        #expect((s?.width ?? 0) >= 640 && (s?.height ?? 0) >= 480)
        #expect(s?.frameRate == 30)
    }

    @Test("§SelectSettings step 5: bare values inside advanced are exact (an advanced set is an 'and')")
    func advancedBareIsExact() async {
        // 1000x1000 cannot be met exactly (crop needs height <= 720), so the set is skipped.
        let s = await video(#"{"video": {"advanced": [{"width": 1000, "height": 1000}]}}"#)
        #expect(s?.width == 640 && s?.height == 480)
    }

    @Test("§SelectSettings step 5: advanced sets keep narrowing (both apply when compatible)")
    func advancedAccumulate() async {
        let s = await video(#"{"video": {"advanced": [{"width": {"min": 1000}}, {"frameRate": {"max": 15}}]}}"#)
        #expect((s?.width ?? 0) >= 1000)
        #expect((s?.frameRate ?? 99) <= 15)
    }

    @Test("§SelectSettings step 6 and note: with no constraints, 640x480 at 30 fps")
    func defaultsVideo() async {
        let s = await video(#"{"video": true}"#)
        #expect(s?.width == 640 && s?.height == 480 && s?.frameRate == 30)
        #expect(s?.resizeMode == "none")
    }

    @Test("§SelectSettings note: a 720p-only camera gives 640x480 by crop-and-scale by default")
    func defaultsFromLargerCamera() async {
        let cam = webcam(modes: [VideoMode(width: 1280, height: 720, frameRate: 30)])
        let s = await video(#"{"video": true}"#, devices(video: [cam]))
        #expect(s?.width == 640 && s?.height == 480)
        #expect(s?.resizeMode == "crop-and-scale")
    }

    @Test("§SelectSettings note: echoCancellation defaults to true; the device's channelCount default is used")
    func defaultsAudio() async {
        let s = await audio(#"{"audio": true}"#)
        #expect(s?.echoCancellation == true)
        #expect(s?.channelCount == 1)
        #expect(s?.sampleRate == 48000 && s?.sampleSize == 16)
    }

    @Test("§SelectSettings: the UA's defaults are the device's; the synthetic tone's processing is off unless asked for, and ideal true still turns it on")
    func processingDefaultsOfTheSyntheticMicrophone() async {
        let tone = devices(audio: [SyntheticMicrophone()])
        let s = await audio(#"{"audio": true}"#, tone)
        #expect(s?.echoCancellation == false && s?.noiseSuppression == false && s?.autoGainControl == false)
        let asked = await audio(#"{"audio": {"echoCancellation": true, "noiseSuppression": {"ideal": true}}}"#, tone)
        #expect(asked?.echoCancellation == true && asked?.noiseSuppression == true && asked?.autoGainControl == false)
        // A microphone in a room (the protocol's default) keeps all three on.
        #expect(await audio(#"{"audio": true}"#)?.autoGainControl == true)
    }

    @Test("§VideoResizeModeEnum: crop-and-scale never upscales (exact above native fails)")
    func noUpscale() async {
        let cam = webcam(modes: [VideoMode(width: 640, height: 480, frameRate: 30)])
        let e = await failure(#"{"video": {"width": {"exact": 800}}}"#, devices(video: [cam]))
        #expect(e?.constraint == "width")
    }

    @Test("§VideoResizeModeEnum: resizeMode exact \"none\" allows only native modes")
    func resizeNone() async {
        let s = await video(#"{"video": {"resizeMode": {"exact": "none"}, "width": 1000}}"#)
        #expect(s?.resizeMode == "none")
        #expect(s?.width == 1280 || s?.width == 640)
        let e = await failure(#"{"video": {"resizeMode": {"exact": "none"}, "frameRate": {"exact": 10}}}"#)
        #expect(e?.name == .overconstrainedError)
    }

    @Test("§VideoResizeModeEnum: a camera without crop-and-scale cannot decimate")
    func noCropDevice() async {
        let cam = webcam(resizeModes: ["none"])
        let e = await failure(#"{"video": {"frameRate": {"max": 15}}}"#, devices(video: [cam]))
        #expect(e?.constraint == "frameRate")
    }

    @Test("§frameRate: integral decimation 30 -> 10 and 30 -> 15 is possible exactly")
    func integralDecimation() async {
        #expect(await video(#"{"video": {"frameRate": {"exact": 10}}}"#)?.frameRate == 10)
        #expect(await video(#"{"video": {"frameRate": {"exact": 15}}}"#)?.frameRate == 15)
    }

    @Test("§width/§height: crop-and-scale reaches any size up to native (exact 333x222)")
    func cropAnySize() async {
        let s = await video(#"{"video": {"width": {"exact": 333}, "height": {"exact": 222}}}"#)
        #expect(s?.width == 333 && s?.height == 222)
        #expect(s?.resizeMode == "crop-and-scale")
    }

    @Test("§aspectRatio: exact 1.0 crops to a square; settings round to ten decimals")
    func aspectSquare() async {
        let s = await video(#"{"video": {"aspectRatio": {"exact": 1}}}"#)
        #expect(s?.aspectRatio == 1)
        #expect(s?.width == s?.height)
        #expect(SelectSettings.aspect(16, 9) == 1.7777777778)
    }

    @Test("§deviceId: exact deviceId selects that device; an unknown one is OverconstrainedError deviceId")
    func deviceIdExact() async {
        let media = devices(video: [webcam(id: "a"), webcam(id: "b")])
        #expect(await video(#"{"video": {"deviceId": {"exact": "b"}}}"#, media)?.deviceId == "b")
        #expect(await failure(#"{"video": {"deviceId": {"exact": "zzz"}}}"#, media)?.constraint == "deviceId")
    }

    @Test("§deviceId: a bare deviceId is ideal (a missing device falls back); the first device is the default")
    func deviceIdIdeal() async {
        let media = devices(video: [webcam(id: "a"), webcam(id: "b")])
        #expect(await video(#"{"video": {"deviceId": "b"}}"#, media)?.deviceId == "b")
        #expect(await video(#"{"video": {"deviceId": "gone"}}"#, media)?.deviceId == "a")
        #expect(await video(#"{"video": true}"#, media)?.deviceId == "a")
    }

    @Test("§groupId: exact groupId selects the device of that group")
    func groupIdExact() async {
        let media = devices(video: [webcam(id: "a", group: "g1"), webcam(id: "b", group: "g2")])
        #expect(await video(#"{"video": {"groupId": {"exact": "g2"}}}"#, media)?.deviceId == "b")
    }

    @Test("§Constrainable Pattern: optional basic constraints satisfy as many as possible")
    func optionalBasic() async {
        // frameRate ideal 60 cannot be met; width ideal 1280 can.
        let s = await video(#"{"video": {"width": 1280, "frameRate": 60}}"#)
        #expect(s?.width == 1280 && s?.frameRate == 30)
    }

    @Test("§channelCount: exact 2 gives stereo; exact 3 is OverconstrainedError channelCount")
    func channelCount() async {
        #expect(await audio(#"{"audio": {"channelCount": {"exact": 2}}}"#)?.channelCount == 2)
        #expect(await failure(#"{"audio": {"channelCount": {"exact": 3}}}"#)?.constraint == "channelCount")
    }

    @Test("§echoCancellation: exact false is honoured")
    func echoCancellationFalse() async {
        let s = await audio(#"{"audio": {"echoCancellation": {"exact": false}, "noiseSuppression": false}}"#)
        #expect(s?.echoCancellation == false && s?.noiseSuppression == false)
        #expect(s?.autoGainControl == true)
    }

    @Test("§sampleRate: min above the device's rates is OverconstrainedError sampleRate")
    func sampleRateMin() async {
        #expect(await failure(#"{"audio": {"sampleRate": {"min": 96000}}}"#)?.constraint == "sampleRate")
    }

    @Test("ApplyConstraints step 2: jointly unsatisfiable constraints report \"\"")
    func jointFailure() async {
        let cam = webcam(modes: [VideoMode(width: 640, height: 480, frameRate: 30), VideoMode(width: 1280, height: 720, frameRate: 30)], resizeModes: ["none"])
        let e = await failure(#"{"video": {"width": {"min": 1000}, "height": {"max": 500}}}"#, devices(video: [cam]))
        #expect(e?.name == .overconstrainedError)
        #expect(e?.constraint == "")
    }

    @Test("§SelectSettings step 1 (a property MAY appear many times in advanced): 200 advanced sets resolve quickly")
    func manyAdvancedSets() async {
        let sets = (1...200).map { #"{"width": \#($0 * 7), "height": \#($0 * 5), "aspectRatio": \#(1 + Double($0) / 100)}"# }
        let start = MonotonicClock.now()
        let s = await video(#"{"video": {"advanced": ["# + sets.joined(separator: ",") + "]}}")
        #expect(s != nil)
        #expect(MonotonicClock.now() - start < 2_000_000_000)
    }

    @Test("§SelectSettings step 1: an empty constraint is no constraint")
    func emptyConstraint() async {
        let s = await video(#"{"video": {"width": {}, "facingMode": [], "advanced": []}}"#)
        #expect(s?.width == 640)
    }
}
