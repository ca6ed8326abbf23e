import AudioProcessing
import MediaPrimitives
/// One value of a settings dictionary.
public enum SettingValue: Sendable, Equatable {
    case number(Double)
    case string(String)
    case bool(Bool)

    var json: JSONValue {
        switch self {
        case .number(let n): return .number(n)
        case .string(let s): return .string(s)
        case .bool(let b): return .bool(b)
        }
    }
}

/// MediaTrackSettings (getusermedia.html §"MediaTrackSettings"): what a track is set to.
/// Members a source does not have (e.g. facingMode of a camera that does not say) are absent.
public struct MediaTrackSettings: Sendable, Equatable {
    /// One slot per property, in IDL order (SelectSettings reads these millions of times).
    private var slots = [SettingValue?](repeating: nil, count: ConstrainableProperty.allCases.count)

    public init(_ values: [ConstrainableProperty: SettingValue] = [:]) {
        for (p, v) in values { slots[p.ordinal] = v }
    }

    public var values: [ConstrainableProperty: SettingValue] {
        var out: [ConstrainableProperty: SettingValue] = [:]
        for p in ConstrainableProperty.allCases { if let v = slots[p.ordinal] { out[p] = v } }
        return out
    }

    public subscript(p: ConstrainableProperty) -> SettingValue? {
        get { slots[p.ordinal] }
        set { slots[p.ordinal] = newValue }
    }

    func number(_ p: ConstrainableProperty) -> Double? {
        if case .number(let n)? = self[p] { return n }
        return nil
    }
    func string(_ p: ConstrainableProperty) -> String? {
        if case .string(let s)? = self[p] { return s }
        return nil
    }
    func bool(_ p: ConstrainableProperty) -> Bool? {
        if case .bool(let b)? = self[p] { return b }
        return nil
    }

    public var width: Int? { number(.width).map { Int($0) } }
    public var height: Int? { number(.height).map { Int($0) } }
    public var frameRate: Double? { number(.frameRate) }
    public var aspectRatio: Double? { number(.aspectRatio) }
    public var facingMode: String? { string(.facingMode) }
    public var resizeMode: String? { string(.resizeMode) }
    public var sampleRate: Int? { number(.sampleRate).map { Int($0) } }
    public var sampleSize: Int? { number(.sampleSize).map { Int($0) } }
    public var channelCount: Int? { number(.channelCount).map { Int($0) } }
    public var latency: Double? { number(.latency) }
    public var echoCancellation: Bool? { bool(.echoCancellation) }
    public var autoGainControl: Bool? { bool(.autoGainControl) }
    public var noiseSuppression: Bool? { bool(.noiseSuppression) }
    public var deviceId: String? { string(.deviceId) }
    public var groupId: String? { string(.groupId) }
    public var backgroundBlur: Bool? { bool(.backgroundBlur) }

    /// The JSON form a page would see from getSettings(), members in IDL order.
    public var json: JSONValue {
        .object(ConstrainableProperty.allCases.compactMap { p in slots[p.ordinal].map { (p.rawValue, $0.json) } })
    }
}

/// MediaTrackCapabilities (§"MediaTrackCapabilities"): ranges and lists of what the source
/// can do, built from the device's native modes.
public struct MediaTrackCapabilities: Sendable, Equatable {
    public enum Capability: Sendable, Equatable {
        case range(min: Double, max: Double)
        case list([String])
        case booleans([Bool])
        case string(String)

        var json: JSONValue {
            switch self {
            case let .range(lo, hi): return .object([("min", .number(lo)), ("max", .number(hi))])
            case .list(let l): return .array(l.map { .string($0) })
            case .booleans(let l): return .array(l.map { .bool($0) })
            case .string(let s): return .string(s)
            }
        }
    }

    public var values: [ConstrainableProperty: Capability]
    public init(_ values: [ConstrainableProperty: Capability] = [:]) { self.values = values }
    public subscript(p: ConstrainableProperty) -> Capability? { values[p] }

    public var json: JSONValue {
        .object(ConstrainableProperty.allCases.compactMap { p in values[p].map { (p.rawValue, $0.json) } })
    }

    static func of(_ device: any VideoCaptureDevice) -> MediaTrackCapabilities {
        var c: [ConstrainableProperty: Capability] = [:]
        let crop = device.resizeModes.contains("crop-and-scale")
        let modes = device.modes
        let maxW = Double(modes.map(\.width).max() ?? 0), maxH = Double(modes.map(\.height).max() ?? 0)
        let maxF = modes.map(\.frameRate).max() ?? 0
        let minW = crop ? 1 : Double(modes.map(\.width).min() ?? 0)
        let minH = crop ? 1 : Double(modes.map(\.height).min() ?? 0)
        c[.deviceId] = .string(device.deviceId)
        c[.groupId] = .string(device.groupId)
        c[.width] = .range(min: minW, max: maxW)
        c[.height] = .range(min: minH, max: maxH)
        if crop {
            c[.aspectRatio] = .range(min: maxH > 0 ? 1 / maxH : 0, max: maxW)
        } else {
            let ratios = modes.map { SelectSettings.aspect($0.width, $0.height) }
            c[.aspectRatio] = .range(min: ratios.min() ?? 0, max: ratios.max() ?? 0)
        }
        c[.frameRate] = .range(min: crop ? 0 : (modes.map(\.frameRate).min() ?? 0), max: maxF)
        c[.facingMode] = .list(device.facingMode.map { [$0] } ?? [])
        c[.resizeMode] = .list(device.resizeModes)
        c[.backgroundBlur] = .booleans(device.backgroundBlur)
        return MediaTrackCapabilities(c)
    }

    static func of(_ device: any AudioCaptureDevice) -> MediaTrackCapabilities {
        let caps = device.capabilities
        func range(_ l: [Int]) -> Capability { .range(min: Double(l.min() ?? 0), max: Double(l.max() ?? 0)) }
        var c: [ConstrainableProperty: Capability] = [:]
        c[.deviceId] = .string(device.deviceId)
        c[.groupId] = .string(device.groupId)
        c[.sampleRate] = range(caps.sampleRates)
        c[.sampleSize] = range(caps.sampleSizes)
        c[.channelCount] = range(caps.channelCounts)
        // `true` where the track's processing can run in one of the device's formats.
        let processable = caps.sampleRates.contains { rate in
            caps.channelCounts.contains { AudioProcessingModule.supports(sampleRate: rate, channelCount: $0) }
        }
        func offered(_ values: [Bool]) -> [Bool] { processable ? values : values.filter { !$0 } }
        c[.echoCancellation] = .booleans(offered(caps.echoCancellation))
        c[.autoGainControl] = .booleans(offered(caps.autoGainControl))
        c[.noiseSuppression] = .booleans(offered(caps.noiseSuppression))
        c[.latency] = .range(min: caps.latencies.min() ?? 0, max: caps.latencies.max() ?? 0)
        return MediaTrackCapabilities(c)
    }
}

/// MediaTrackSupportedConstraints: every property this implementation understands.
public struct MediaTrackSupportedConstraints: Sendable, Equatable {
    public var supported: [ConstrainableProperty] { ConstrainableProperty.allCases }
    public var json: JSONValue { .object(supported.map { ($0.rawValue, .bool(true)) }) }
}
