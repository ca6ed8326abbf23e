// getUserMedia constraints as JSON text (--constraints, the browser page): the JSON reader,
// MediaStreamConstraints and MediaTrackConstraints; JSON that parses serializes back to itself.
import FuzzSupport
import MediaCapture
import MediaPrimitives

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = FuzzInput.text(UnsafeBufferPointer(start: data, count: size))
    if let value = try? JSONValue.parse(text) {
        guard let again = try? JSONValue.parse(value.serialized) else {
            fatalError("parsed JSON serializes to text that does not parse: \(value.serialized)")
        }
        FuzzInput.require(again == value, "serialize and parse changed the JSON value")
    }
    if let constraints = try? MediaStreamConstraints(jsonText: text) {
        _ = constraints.video.map { ($0.json, $0.applicable(to: .videoinput)) }
        _ = constraints.audio.map { ($0.json, $0.applicable(to: .audioinput)) }
    }
    if let track = try? MediaTrackConstraints(jsonText: text) { _ = track.json.serialized }
    return 0
}
