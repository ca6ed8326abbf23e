import MediaPrimitives
/// The constrainable properties of getusermedia.html §"Constrainable Properties", in the
/// order of the MediaTrackConstraintSet IDL (which is also the order in which a failed
/// required constraint is reported), then `backgroundBlur` from the partial dictionaries of
/// mediacapture-extensions §"Exposing MediaStreamTrack source background blur support".
public enum ConstrainableProperty: String, Sendable, CaseIterable, Hashable {
    case width, height, aspectRatio, frameRate, facingMode, resizeMode
    case sampleRate, sampleSize, echoCancellation, autoGainControl, noiseSuppression, latency, channelCount
    case deviceId, groupId
    case backgroundBlur

    /// getusermedia.html, "the allowed required constraints for device selection": a
    /// required (exact/min/max) constraint on any other property makes getUserMedia reject
    /// with a TypeError. Such properties (backgroundBlur) may still be asked for as ideal or
    /// in `advanced`, and applyConstraints may require them.
    public static let allowedRequiredForDeviceSelection: Set<ConstrainableProperty> = [
        .width, .height, .aspectRatio, .frameRate, .facingMode, .resizeMode,
        .sampleRate, .sampleSize, .echoCancellation, .autoGainControl, .noiseSuppression, .latency, .channelCount,
        .deviceId, .groupId,
    ]

    enum ValueType { case unsignedLong, double, string, boolean }

    /// Position in IDL order.
    var ordinal: Int {
        switch self {
        case .width: return 0
        case .height: return 1
        case .aspectRatio: return 2
        case .frameRate: return 3
        case .facingMode: return 4
        case .resizeMode: return 5
        case .sampleRate: return 6
        case .sampleSize: return 7
        case .echoCancellation: return 8
        case .autoGainControl: return 9
        case .noiseSuppression: return 10
        case .latency: return 11
        case .channelCount: return 12
        case .deviceId: return 13
        case .groupId: return 14
        case .backgroundBlur: return 15
        }
    }

    var valueType: ValueType {
        switch self {
        case .width, .height, .sampleRate, .sampleSize, .channelCount: return .unsignedLong
        case .aspectRatio, .frameRate, .latency: return .double
        case .facingMode, .resizeMode, .deviceId, .groupId: return .string
        case .echoCancellation, .autoGainControl, .noiseSuppression, .backgroundBlur: return .boolean
        }
    }
}

/// MediaTrackConstraintSet: at most one constraint per property. Unknown names are dropped,
/// as WebIDL drops unknown dictionary members (§"Constrainable Pattern", the note on
/// getSupportedConstraints).
public struct MediaTrackConstraintSet: Sendable, Equatable {
    public var constraints: [ConstrainableProperty: Constraint] = [:]

    public init(_ constraints: [ConstrainableProperty: Constraint] = [:]) {
        self.constraints = constraints
    }

    public subscript(property: ConstrainableProperty) -> Constraint? {
        get { constraints[property] }
        set { constraints[property] = newValue }
    }

    /// The members that constrain something, in IDL order.
    var members: [(ConstrainableProperty, Constraint)] {
        ConstrainableProperty.allCases.compactMap { p in
            guard let c = constraints[p], !c.isEmpty else { return nil }
            return (p, c)
        }
    }

    /// Converts a JSON object the way WebIDL converts a JavaScript object to this dictionary.
    public init(json: JSONValue) throws(MediaStreamError) {
        guard case .object = json else { return }  // null and arrays hold no members
        for property in ConstrainableProperty.allCases {
            guard let value = json[property.rawValue] else { continue }
            constraints[property] = try MediaTrackConstraintSet.convert(value, property)
        }
    }

    static func convert(_ value: JSONValue, _ p: ConstrainableProperty) throws(MediaStreamError) -> Constraint {
        let name = p.rawValue
        switch p.valueType {
        case .unsignedLong, .double:
            let number: (JSONValue, String) throws(MediaStreamError) -> Double = { v, member throws(MediaStreamError) in
                p.valueType == .unsignedLong ? WebIDL.clampedUnsignedLong(v) : try WebIDL.restrictedDouble(v, member: member)
            }
            switch value {
            case .null, .array: return .numeric(NumericConstraint())
            case .object:
                var c = NumericConstraint()
                if let v = value["exact"] { c.exact = try number(v, "\(name).exact") }
                if let v = value["ideal"] { c.ideal = try number(v, "\(name).ideal") }
                if let v = value["min"] { c.min = try number(v, "\(name).min") }
                if let v = value["max"] { c.max = try number(v, "\(name).max") }
                return .numeric(c)
            default:
                return .numeric(NumericConstraint(bare: try number(value, name)))
            }
        case .boolean:
            switch value {
            case .null, .array: return .boolean(BooleanConstraint())
            case .object:
                var c = BooleanConstraint()
                if let v = value["exact"] { c.exact = WebIDL.toBoolean(v) }
                if let v = value["ideal"] { c.ideal = WebIDL.toBoolean(v) }
                return .boolean(c)
            default: return .boolean(BooleanConstraint(bare: WebIDL.toBoolean(value)))
            }
        case .string:
            func list(_ v: JSONValue) -> [String] {
                if case .array(let items) = v { return items.map(WebIDL.toString) }
                return [WebIDL.toString(v)]
            }
            switch value {
            case .null: return .string(StringConstraint())
            case .array: return .string(StringConstraint(bare: list(value)))
            case .object:
                var c = StringConstraint()
                if let v = value["exact"] { c.exact = list(v) }
                if let v = value["ideal"] { c.ideal = list(v) }
                return .string(c)
            default: return .string(StringConstraint(bare: list(value)))
            }
        }
    }

    var json: JSONValue {
        .object(members.map { ($0.0.rawValue, $0.1.json) })
    }
}

/// MediaTrackConstraints: the basic ConstraintSet plus the ordered `advanced` list.
public struct MediaTrackConstraints: Sendable, Equatable {
    public var basic: MediaTrackConstraintSet
    public var advanced: [MediaTrackConstraintSet]

    public init(_ basic: MediaTrackConstraintSet = .init(), advanced: [MediaTrackConstraintSet] = []) {
        self.basic = basic
        self.advanced = advanced
    }

    /// Converts JSON as WebIDL converts the JavaScript object: `advanced` must be an array
    /// (a sequence), each element an object or null.
    public init(json: JSONValue) throws(MediaStreamError) {
        basic = try MediaTrackConstraintSet(json: json)
        advanced = []
        guard let adv = json["advanced"] else { return }
        guard case .array(let items) = adv else {
            throw MediaStreamError(.typeError, "advanced must be an array of constraint sets, got \(WebIDL.toString(adv))")
        }
        for (i, item) in items.enumerated() {
            switch item {
            case .object, .null, .array: advanced.append(try MediaTrackConstraintSet(json: item))
            default:
                throw MediaStreamError(.typeError, "advanced[\(i)] must be an object (a constraint set), got \(WebIDL.toString(item))")
            }
        }
    }

    /// Parses the JSON text of a MediaTrackConstraints (what applyConstraints takes).
    public init(jsonText: String) throws(MediaStreamError) {
        let value: JSONValue
        do { value = try JSONValue.parse(jsonText) } catch {
            throw MediaStreamError(.typeError, "constraints are not valid JSON: \(error)")
        }
        switch value {
        case .object, .null: try self.init(json: value)
        default: throw MediaStreamError(.typeError, "constraints must be a JSON object such as {\"width\": 1280}")
        }
    }

    /// The constraints without the properties that are not defined for `kind` (getUserMedia
    /// step "Remove any constrainable property inside of CS that are not defined for
    /// MediaStreamTrack objects of type kind": audio-only constraints in "video" and video-only
    /// ones in "audio" are ignored rather than causing OverconstrainedError).
    public func applicable(to kind: MediaDeviceKind) -> MediaTrackConstraints {
        let foreign = kind == .videoinput ? SelectSettings.audioProperties : SelectSettings.videoProperties
        func strip(_ set: MediaTrackConstraintSet) -> MediaTrackConstraintSet {
            MediaTrackConstraintSet(set.constraints.filter { !foreign.contains($0.key) })
        }
        return MediaTrackConstraints(strip(basic), advanced: advanced.map(strip))
    }

    /// getConstraints(): the constraints as given, bare values kept bare.
    public var json: JSONValue {
        guard case .object(var m) = basic.json else { return .object([]) }
        if !advanced.isEmpty { m.append(("advanced", .array(advanced.map { $0.json }))) }
        return .object(m)
    }
}

/// MediaStreamConstraints: `video` and `audio`, each `(boolean or MediaTrackConstraints)`
/// defaulting to false (getusermedia.html §"MediaStreamConstraints").
public struct MediaStreamConstraints: Sendable, Equatable {
    /// nil: that kind is not requested.
    public var video: MediaTrackConstraints?
    public var audio: MediaTrackConstraints?

    public init(video: MediaTrackConstraints? = nil, audio: MediaTrackConstraints? = nil) {
        self.video = video
        self.audio = audio
    }

    /// Converts the JSON a page passes. Following WebIDL's union conversion, an object or
    /// null becomes MediaTrackConstraints (so `null` requests the kind with no constraints,
    /// as in a browser), any other value is converted with ToBoolean.
    public init(json: JSONValue) throws(MediaStreamError) {
        switch json {
        case .object, .null: break
        default:
            throw MediaStreamError(.typeError, "getUserMedia takes an object such as {\"video\": true, \"audio\": true}, got \(WebIDL.toString(json))")
        }
        func member(_ name: String) throws(MediaStreamError) -> MediaTrackConstraints? {
            guard let v = json[name] else { return nil }
            switch v {
            case .object, .null, .array: return try MediaTrackConstraints(json: v)
            default: return WebIDL.toBoolean(v) ? MediaTrackConstraints() : nil
            }
        }
        video = try member("video")
        audio = try member("audio")
    }

    /// Parses JSON text; bad JSON is a TypeError that says where.
    public init(jsonText: String) throws(MediaStreamError) {
        let value: JSONValue
        do { value = try JSONValue.parse(jsonText) } catch {
            throw MediaStreamError(.typeError, "constraints are not valid JSON: \(error)")
        }
        try self.init(json: value)
    }
}
