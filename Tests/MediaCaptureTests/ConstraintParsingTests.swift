import MediaPrimitives
import Testing
@testable import MediaCapture

/// MediaStreamConstraints from JSON, with the WebIDL conversions a browser applies
/// (getusermedia.html §"MediaStreamConstraints", §"Types for Constrainable Properties";
/// WebIDL §3.2 "JavaScript type mapping").
@Suite struct ConstraintParsingTests {
    @Test("§getUserMedia step 3: {} requests no media: TypeError (Chromium: TypeError)")
    func emptyIsTypeError() async {
        #expect(await failure("{}")?.name == .typeError)
    }

    @Test("§getUserMedia step 3: {audio: false, video: false} is TypeError (Chromium: TypeError)")
    func bothFalseIsTypeError() async {
        #expect(await failure(#"{"audio": false, "video": false}"#)?.name == .typeError)
    }

    @Test("§MediaStreamConstraints: true requests the kind with no constraints")
    func trueRequests() throws {
        let c = try MediaStreamConstraints(jsonText: #"{"video": true}"#)
        #expect(c.video == MediaTrackConstraints())
        #expect(c.audio == nil)
    }

    @Test("WebIDL §3.2.24 union: null for (boolean or MediaTrackConstraints) is an empty dictionary (requested)")
    func nullRequests() throws {
        let c = try MediaStreamConstraints(jsonText: #"{"video": null, "audio": 0}"#)
        #expect(c.video != nil)
        #expect(c.audio == nil)
    }

    @Test("WebIDL [Clamp] unsigned long: rounded to nearest even and clamped to 0...2^32-1")
    func clampRound() throws {
        let c = try MediaTrackConstraints(jsonText: #"{"width": 640.5, "height": {"min": -5, "max": 1e12, "ideal": 479.6}}"#)
        #expect(c.basic[.width] == .numeric(NumericConstraint(bare: 640)))
        #expect(c.basic[.height] == .numeric(NumericConstraint(ideal: 480, min: 0, max: 4_294_967_295)))
    }

    @Test("WebIDL: numeric strings convert with ToNumber; junk becomes 0 for [Clamp] unsigned long")
    func numericStrings() throws {
        let c = try MediaTrackConstraints(jsonText: #"{"width": "1280", "height": "abc"}"#)
        #expect(c.basic[.width] == .numeric(NumericConstraint(bare: 1280)))
        #expect(c.basic[.height] == .numeric(NumericConstraint(bare: 0)))
    }

    @Test("WebIDL restricted double: a non-finite frameRate is a TypeError")
    func nonFiniteDouble() {
        #expect(throws: MediaStreamError.self) { try MediaTrackConstraints(jsonText: #"{"frameRate": "fast"}"#) }
        #expect((try? MediaTrackConstraints(jsonText: #"{"frameRate": {"ideal": "12.5"}}"#))?.basic[.frameRate] == .numeric(NumericConstraint(ideal: 12.5)))
    }

    @Test("§Constrainable Pattern note: unknown constraint names are ignored")
    func unknownIgnored() async throws {
        let c = try MediaTrackConstraints(jsonText: #"{"zoom": {"exact": 9}, "torch": true, "width": 320}"#)
        #expect(c.basic.members.map(\.0) == [.width])
        #expect(await video(#"{"video": {"brightness": {"exact": 1000}}}"#)?.width == 640)
    }

    @Test("§ConstrainDOMString: a string, a list, or {exact, ideal} with either")
    func domStringForms() throws {
        let c = try MediaTrackConstraints(jsonText: #"{"facingMode": ["user", "left"], "resizeMode": {"exact": "none"}, "deviceId": {"ideal": ["a", "b"]}}"#)
        #expect(c.basic[.facingMode] == .string(StringConstraint(bare: ["user", "left"])))
        #expect(c.basic[.resizeMode] == .string(StringConstraint(exact: ["none"])))
        #expect(c.basic[.deviceId] == .string(StringConstraint(ideal: ["a", "b"])))
    }

    @Test("§ConstrainBoolean: bare, exact and ideal; ToBoolean for other values")
    func booleanForms() throws {
        let c = try MediaTrackConstraints(jsonText: #"{"echoCancellation": 0, "autoGainControl": {"exact": true}, "noiseSuppression": {"ideal": "yes"}}"#)
        #expect(c.basic[.echoCancellation] == .boolean(BooleanConstraint(bare: false)))
        #expect(c.basic[.autoGainControl] == .boolean(BooleanConstraint(exact: true)))
        #expect(c.basic[.noiseSuppression] == .boolean(BooleanConstraint(ideal: true)))
    }

    @Test("§MediaTrackConstraints: advanced must be a sequence; a non-object element is a TypeError")
    func advancedTypeErrors() {
        #expect(throws: MediaStreamError.self) { try MediaTrackConstraints(jsonText: #"{"advanced": {"width": 1}}"#) }
        #expect(throws: MediaStreamError.self) { try MediaTrackConstraints(jsonText: #"{"advanced": [5]}"#) }
        #expect((try? MediaTrackConstraints(jsonText: #"{"advanced": [{"width": 1}, null]}"#))?.advanced.count == 2)
    }

    @Test("Bad JSON is a TypeError that says where")
    func badJSON() async {
        let e = await failure(#"{"video": {"width": 1280,}}"#)
        #expect(e?.name == .typeError)
        #expect(e?.message.contains("offset") == true)
        #expect(await failure("{'video': true}")?.message.contains("double quotes") == true)
        #expect(await failure("[1]")?.name == .typeError)
    }

    @Test("§ConstrainablePattern getConstraints(): constraints round-trip as given (bare kept bare)")
    func getConstraintsRoundTrip() throws {
        let text = #"{"width":1280,"frameRate":{"max":15,"ideal":10},"facingMode":{"exact":"user"},"advanced":[{"height":720}]}"#
        let c = try MediaTrackConstraints(jsonText: text)
        #expect(c.json.serialized == text)
    }
}

@Suite struct JSONValueTests {
    @Test("RFC 8259: values, nesting, escapes and unicode")
    func parsesValues() throws {
        let v = try JSONValue.parse(#" {"a": [1, -2.5e2, true, false, null], "s": "x\"\u00e9\ud83d\ude00\n"} "#)
        #expect(v["a"] == .array([.number(1), .number(-250), .bool(true), .bool(false), .null]))
        #expect(v["s"] == .string("x\"é😀\n"))
    }

    @Test("RFC 8259: malformed text throws, never traps", arguments: [
        "", "{", "[1,", "{\"a\" 1}", "tru", "01x", "\"unterminated", "{\"a\":1}}", "[1 2]", "-", "1.", "\"\\q\"", "\"\\u12\"",
        // scripts/fuzz constraints: numbers past Double's range (infinity cannot be written back).
        "2e" + String(repeating: "1", count: 77), "-1e400", "{\"width\": 1e309}",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test("Deep nesting is refused rather than exhausting the stack")
    func depthLimit() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
    }

    @Test("Serialization: integers print without a fraction, strings escaped, order kept")
    func serializes() {
        let v = JSONValue.object([("w", .number(1280)), ("r", .number(1.5)), ("s", .string("a\"b\u{01}"))])
        #expect(v.serialized == #"{"w":1280,"r":1.5,"s":"a\"b\u0001"}"#)
    }
}
