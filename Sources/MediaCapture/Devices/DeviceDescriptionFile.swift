/// Fake devices described by a JSON file (`--devices-file`):
///
///     {"devices": [
///       {"deviceId": "cam0", "kind": "videoinput", "label": "...", "groupId": "g0", "facingMode": "user",
///        "modes": [{"width": 1280, "height": 720, "frameRate": 30, "pixelFormat": "NV12"}],
///        "resizeModes": ["none", "crop-and-scale"]},
///       {"deviceId": "mic0", "kind": "audioinput", "label": "...", "groupId": "g0",
///        "sampleRate": [48000], "sampleSize": [16], "channelCount": [1, 2],
///        "echoCancellation": [true, false], "autoGainControl": [true, false],
///        "noiseSuppression": [true, false], "latency": [0.01], "defaults": {"channelCount": 1}}]}
///
/// A bare array of devices is accepted too. Each described device captures synthetic content
/// in the chosen mode. The first device of each kind is the default one.
public struct DeviceDescriptionFile: Sendable {
    public var videoDevices: [any VideoCaptureDevice]
    public var audioDevices: [any AudioCaptureDevice]

    public init(path: String) throws(MediaFileError) {
        let file = try BinaryFile(path: path, mode: "rb")
        let bytes = try file.read(4 << 20)
        do throws(MediaStreamError) {
            try self.init(jsonText: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw MediaFileError(path: path, error.message)
        }
    }

    public init(jsonText: String) throws(MediaStreamError) {
        let root: JSONValue
        do { root = try JSONValue.parse(jsonText) } catch {
            throw MediaStreamError(.typeError, "the devices file is not valid JSON: \(error)")
        }
        let list: [JSONValue]
        switch root {
        case .array(let items): list = items
        case .object:
            guard case .array(let items)? = root["devices"] else {
                throw MediaStreamError(.typeError, "the devices file needs a \"devices\" array")
            }
            list = items
        default:
            throw MediaStreamError(.typeError, "the devices file must be an object with \"devices\" or an array")
        }
        videoDevices = []
        audioDevices = []
        for (i, d) in list.enumerated() {
            let whereText = "devices[\(i)]"
            guard d.isObject else { throw MediaStreamError(.typeError, "\(whereText) is not an object") }
            func string(_ k: String) -> String? { if case .string(let s)? = d[k] { return s } else { return nil } }
            func numbers(_ k: String) throws(MediaStreamError) -> [Double]? {
                guard let v = d[k] else { return nil }
                switch v {
                case .number(let n): return [n]
                case .array(let items):
                    var out: [Double] = []
                    for item in items {
                        guard case .number(let n) = item else { throw MediaStreamError(.typeError, "\(whereText).\(k) must hold numbers") }
                        out.append(n)
                    }
                    return out
                default: throw MediaStreamError(.typeError, "\(whereText).\(k) must be a number or an array of numbers")
                }
            }
            func bools(_ k: String) throws(MediaStreamError) -> [Bool]? {
                guard let v = d[k] else { return nil }
                switch v {
                case .bool(let b): return [b]
                case .array(let items):
                    var out: [Bool] = []
                    for item in items {
                        guard case .bool(let b) = item else { throw MediaStreamError(.typeError, "\(whereText).\(k) must hold true/false") }
                        out.append(b)
                    }
                    return out
                default: throw MediaStreamError(.typeError, "\(whereText).\(k) must be a boolean or an array of booleans")
                }
            }
            guard let kind = string("kind") else { throw MediaStreamError(.typeError, "\(whereText) needs \"kind\": \"videoinput\" or \"audioinput\"") }
            let deviceId = string("deviceId") ?? "\(kind)\(i)"
            let groupId = string("groupId") ?? deviceId
            let label = string("label") ?? deviceId
            switch kind {
            case "videoinput":
                guard case .array(let modeList)? = d["modes"], !modeList.isEmpty else {
                    throw MediaStreamError(.typeError, "\(whereText) (\(deviceId)) needs a non-empty \"modes\" array")
                }
                var modes: [VideoMode] = []
                for (j, m) in modeList.enumerated() {
                    guard case .number(let w)? = m["width"], case .number(let h)? = m["height"], case .number(let f)? = m["frameRate"],
                          w >= 1, h >= 1, w <= 16384, h <= 16384, w == w.rounded(), h == h.rounded(), f > 0, f <= 1000 else {
                        throw MediaStreamError(.typeError, "\(whereText).modes[\(j)] needs integer width and height (1-16384) and a frameRate (0-1000]")
                    }
                    var format = "I420"
                    if case .string(let s)? = m["pixelFormat"] { format = s }
                    modes.append(VideoMode(width: Int(w), height: Int(h), frameRate: f, pixelFormat: format))
                }
                var resize = ["none", "crop-and-scale"]
                if case .array(let r)? = d["resizeModes"] {
                    resize = r.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
                        .filter { $0 == "none" || $0 == "crop-and-scale" }
                    if resize.isEmpty { resize = ["none"] }
                }
                videoDevices.append(SyntheticCamera(deviceId: deviceId, groupId: groupId, label: label,
                                                    facingMode: string("facingMode"), modes: modes, resizeModes: resize))
            case "audioinput":
                func ints(_ k: String, _ def: [Int]) throws(MediaStreamError) -> [Int] {
                    guard let l = try numbers(k) else { return def }
                    let out = l.filter { $0 >= 1 && $0 == $0.rounded() && $0 <= 1_000_000 }.map { Int($0) }
                    guard !out.isEmpty, out.count == l.count else {
                        throw MediaStreamError(.typeError, "\(whereText).\(k) must hold positive integers")
                    }
                    return out
                }
                let caps = AudioDeviceCapabilities(
                    sampleRates: try ints("sampleRate", [48000]), sampleSizes: try ints("sampleSize", [16]),
                    channelCounts: try ints("channelCount", [1, 2]),
                    echoCancellation: try bools("echoCancellation") ?? [true, false],
                    autoGainControl: try bools("autoGainControl") ?? [true, false],
                    noiseSuppression: try bools("noiseSuppression") ?? [true, false],
                    latencies: try numbers("latency") ?? [0.01])
                var def = AudioMode(sampleRate: caps.sampleRates.contains(48000) ? 48000 : caps.sampleRates[0],
                                    sampleSize: caps.sampleSizes[0], channelCount: caps.channelCounts[0])
                if let defaults = d["defaults"], defaults.isObject {
                    if case .number(let n)? = defaults["sampleRate"], caps.sampleRates.contains(Int(n)) { def.sampleRate = Int(n) }
                    if case .number(let n)? = defaults["sampleSize"], caps.sampleSizes.contains(Int(n)) { def.sampleSize = Int(n) }
                    if case .number(let n)? = defaults["channelCount"], caps.channelCounts.contains(Int(n)) { def.channelCount = Int(n) }
                }
                audioDevices.append(SyntheticMicrophone(deviceId: deviceId, groupId: groupId, label: label,
                                                        capabilities: caps, defaultMode: def))
            default:
                throw MediaStreamError(.typeError, "\(whereText).kind must be \"videoinput\" or \"audioinput\", not \"\(kind)\"")
            }
        }
    }
}
