import AudioProcessing
import MediaPrimitives
/// Fake devices described by a JSON file (`--devices-file`):
///
///     {"devices": [
///       {"deviceId": "cam0", "kind": "videoinput", "label": "...", "groupId": "g0", "facingMode": "user",
///        "modes": [{"width": 1280, "height": 720, "frameRate": 30, "pixelFormat": "NV12"}],
///        "resizeModes": ["none", "crop-and-scale"]},
///       {"deviceId": "mic0", "kind": "audioinput", "label": "...", "groupId": "g0",
///        "sampleRate": [48000], "sampleSize": [16], "channelCount": [1, 2],
///        "echoCancellation": [true, false], "autoGainControl": [true, false],
///        "noiseSuppression": [true, false], "latency": [0.01],
///        "defaults": {"channelCount": 1, "echoCancellation": true}}]}
///
/// A described microphone's processing defaults to on, like a microphone in a room; its
/// `defaults` may turn `echoCancellation`, `autoGainControl` or `noiseSuppression` off.
/// A bare array of devices is accepted too. Each described device captures synthetic content
/// in the chosen mode. The first device of each kind is the default one. Sizes, rates,
/// channel counts and the length of every list are held to `CaptureLimits`; an error names
/// the field (`devices[1].sampleRate`) and the limit.
public struct DeviceDescriptionFile: Sendable {
    public var videoDevices: [any VideoCaptureDevice]
    public var audioDevices: [any AudioCaptureDevice]

    public init(path: String) throws(MediaFileError) {
        let file = try BinaryFile(path: path, mode: "rb")
        let limit = CaptureLimits.devicesFileBytes
        let bytes = try file.read(limit + 1)
        guard bytes.count <= limit else {
            throw MediaFileError(path: path, "is larger than \(limit >> 20) MiB, the limit for a devices file")
        }
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
        guard list.count <= CaptureLimits.devices else {
            throw MediaStreamError(.typeError, "devices holds \(list.count) devices, more than the limit of \(CaptureLimits.devices)")
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
                    guard items.count <= CaptureLimits.valuesPerList else {
                        throw MediaStreamError(.typeError, "\(whereText).\(k) holds \(items.count) values, more than the limit of \(CaptureLimits.valuesPerList)")
                    }
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
                        if !out.contains(b) { out.append(b) }
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
                guard modeList.count <= CaptureLimits.modesPerCamera else {
                    throw MediaStreamError(.typeError, "\(whereText).modes holds \(modeList.count) modes, more than the limit of \(CaptureLimits.modesPerCamera)")
                }
                var modes: [VideoMode] = []
                for (j, m) in modeList.enumerated() {
                    let field = "\(whereText).modes[\(j)]"
                    guard case .number(let w)? = m["width"], case .number(let h)? = m["height"], case .number(let f)? = m["frameRate"],
                          w == w.rounded(), h == h.rounded(), abs(w) < 1e9, abs(h) < 1e9 else {
                        throw MediaStreamError(.typeError, "\(field) needs integer width and height and a frameRate")
                    }
                    var format = "I420"
                    if case .string(let s)? = m["pixelFormat"] { format = s }
                    let mode = VideoMode(width: Int(w), height: Int(h), frameRate: f, pixelFormat: format)
                    if let problem = CaptureLimits.check(mode, field) { throw MediaStreamError(.typeError, problem) }
                    modes.append(mode)
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
                func ints(_ k: String, _ def: [Int], _ range: ClosedRange<Int>, _ unit: String) throws(MediaStreamError) -> [Int] {
                    guard let l = try numbers(k) else { return def }
                    var out: [Int] = []
                    for n in l {
                        guard n == n.rounded(), n >= Double(range.lowerBound), n <= Double(range.upperBound) else {
                            throw MediaStreamError(.typeError, "\(whereText).\(k) \(JSONValue.format(n)) is not an integer in \(CaptureLimits.text(range))\(unit)")
                        }
                        if !out.contains(Int(n)) { out.append(Int(n)) }
                    }
                    guard !out.isEmpty else { throw MediaStreamError(.typeError, "\(whereText).\(k) must hold at least one value") }
                    return out
                }
                var latencies = try numbers("latency") ?? [0.01]
                if let bad = latencies.first(where: { !CaptureLimits.latencies.contains($0) }) {
                    throw MediaStreamError(.typeError, "\(whereText).latency \(JSONValue.format(bad)) is outside \(CaptureLimits.text(CaptureLimits.latencies)) s")
                }
                if latencies.isEmpty { latencies = [0.01] }
                let caps = AudioDeviceCapabilities(
                    sampleRates: try ints("sampleRate", [48000], CaptureLimits.sampleRates, " Hz"),
                    sampleSizes: try ints("sampleSize", [16], CaptureLimits.sampleSizes, " bits"),
                    channelCounts: try ints("channelCount", [1, 2], CaptureLimits.channelCounts, ""),
                    echoCancellation: try bools("echoCancellation") ?? [true, false],
                    autoGainControl: try bools("autoGainControl") ?? [true, false],
                    noiseSuppression: try bools("noiseSuppression") ?? [true, false],
                    latencies: latencies)
                // SelectSettings looks at every combination: keep their number bounded.
                let combinations = [caps.sampleRates.count, caps.sampleSizes.count, caps.channelCounts.count,
                                    max(caps.echoCancellation.count, 1), max(caps.autoGainControl.count, 1),
                                    max(caps.noiseSuppression.count, 1), caps.latencies.count].reduce(1, *)
                guard combinations <= CaptureLimits.audioCombinations else {
                    throw MediaStreamError(.typeError, "\(whereText) offers \(combinations) combinations of sampleRate, sampleSize, channelCount, echoCancellation, autoGainControl, noiseSuppression and latency, more than the limit of \(CaptureLimits.audioCombinations)")
                }
                var def = AudioMode(sampleRate: caps.sampleRates.contains(48000) ? 48000 : caps.sampleRates[0],
                                    sampleSize: caps.sampleSizes[0], channelCount: caps.channelCounts[0])
                // A described microphone stands in for one in a room: processing on unless
                // its defaults say otherwise.
                var processing = AudioProcessingDefaults.on
                if let defaults = d["defaults"], defaults.isObject {
                    if case .number(let n)? = defaults["sampleRate"], let v = Int(exactly: n), caps.sampleRates.contains(v) { def.sampleRate = v }
                    if case .number(let n)? = defaults["sampleSize"], let v = Int(exactly: n), caps.sampleSizes.contains(v) { def.sampleSize = v }
                    if case .number(let n)? = defaults["channelCount"], let v = Int(exactly: n), caps.channelCounts.contains(v) { def.channelCount = v }
                    if case .bool(let b)? = defaults["echoCancellation"] { processing.echoCancellation = b }
                    if case .bool(let b)? = defaults["autoGainControl"] { processing.autoGainControl = b }
                    if case .bool(let b)? = defaults["noiseSuppression"] { processing.noiseSuppression = b }
                }
                audioDevices.append(SyntheticMicrophone(deviceId: deviceId, groupId: groupId, label: label,
                                                        capabilities: caps, defaultMode: def, processingDefaults: processing))
            default:
                throw MediaStreamError(.typeError, "\(whereText).kind must be \"videoinput\" or \"audioinput\", not \"\(kind)\"")
            }
        }
    }
}
