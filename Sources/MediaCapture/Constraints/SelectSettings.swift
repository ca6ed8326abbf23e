/// A settings dictionary a source could take, with what the track needs to produce it.
struct SettingsCandidate: Sendable {
    var settings: MediaTrackSettings
    var deviceIndex: Int
    /// The native camera mode the device is opened in (video).
    var videoMode: VideoMode?
    /// The mode the microphone is opened in (audio).
    var audioMode: AudioMode?
    /// The UA's preference among equally fit candidates (SelectSettings step 6: "system
    /// default property values and User Agent default property values"); lower is better.
    var preference: [Double]
}

/// The outcome of SelectSettings: the chosen candidate, or the constraint to report.
enum SelectionResult: Sendable {
    case selected(SettingsCandidate)
    /// `failedConstraint` as the ApplyConstraints algorithm step 2 defines it ("" if none).
    case overconstrained(String)
}

/// The SelectSettings algorithm and fitness distance of getusermedia.html §"Constrainable
/// Pattern" (applyConstraints), over the settings dictionaries the devices can produce.
enum SelectSettings {
    /// `width / height` rounded to the tenth decimal place (§"aspectRatio").
    static func aspect(_ w: Int, _ h: Int) -> Double {
        guard h > 0 else { return 0 }
        return (Double(w) / Double(h) * 1e10).rounded() / 1e10
    }

    static let videoProperties: Set<ConstrainableProperty> = [.width, .height, .aspectRatio, .frameRate, .facingMode, .resizeMode, .backgroundBlur]
    static let audioProperties: Set<ConstrainableProperty> = [.sampleRate, .sampleSize, .echoCancellation, .autoGainControl, .noiseSuppression, .latency, .channelCount]

    /// Equality for doubles, with room for the rounding of aspect ratios and frame rates.
    static func same(_ a: Double, _ b: Double) -> Bool {
        a == b || abs(a - b) <= 1e-7 * max(1, abs(a), abs(b))
    }

    /// Whether `actual` meets the required part (exact/min/max, and bare when exact).
    static func satisfies(_ actual: SettingValue, _ c: Constraint, bareIsExact: Bool) -> Bool {
        switch (c, actual) {
        case let (.numeric(n), .number(a)):
            if let e = n.exact ?? (bareIsExact ? n.bare : nil), !same(a, e) { return false }
            if let lo = n.min, a < lo, !same(a, lo) { return false }
            if let hi = n.max, a > hi, !same(a, hi) { return false }
            return true
        case let (.string(s), .string(a)):
            if let e = s.exact, !e.isEmpty, !e.contains(a) { return false }
            if bareIsExact, let e = s.bare, !e.isEmpty, !e.contains(a) { return false }
            return true
        case let (.boolean(b), .bool(a)):
            if let e = b.exact ?? (bareIsExact ? b.bare : nil), e != a { return false }
            return true
        default:
            return false
        }
    }

    /// The fitness distance of one constraint (steps 1-8 of the definition).
    static func distance(_ settings: MediaTrackSettings, _ p: ConstrainableProperty, _ c: Constraint,
                         bareIsExact: Bool, kind: MediaDeviceKind) -> Double {
        // 1. Every property in ConstrainableProperty is supported.
        // 2. A required constraint not met, or whose member does not exist: infinity.
        if c.isRequired(bareIsExact: bareIsExact) {
            guard let actual = settings[p], satisfies(actual, c, bareIsExact: bareIsExact) else { return .infinity }
        }
        // 3. A constraint that does not apply to this kind of object: 0.
        if kind == .videoinput && audioProperties.contains(p) { return 0 }
        if kind == .audioinput && videoProperties.contains(p) { return 0 }
        // 4. (A boolean for a non-boolean property cannot reach here: WebIDL converted it.)
        // 6 (checked first so that 5 only counts ideals). No ideal value: 0.
        let hasIdeal: Bool
        switch c {
        case .numeric(let n): hasIdeal = n.ideal != nil || (!bareIsExact && n.bare != nil)
        case .string(let s): hasIdeal = !(s.ideal ?? []).isEmpty || (!bareIsExact && !(s.bare ?? []).isEmpty)
        case .boolean(let b): hasIdeal = b.ideal != nil || (!bareIsExact && b.bare != nil)
        }
        // 5. The member does not exist: 1.
        guard let actual = settings[p] else { return hasIdeal ? 1 : 0 }
        guard hasIdeal else { return 0 }
        switch (c, actual) {
        case let (.numeric(n), .number(a)):
            // 7. (actual == ideal) ? 0 : |actual - ideal| / max(|actual|, |ideal|)
            guard let ideal = n.ideal ?? n.bare else { return 0 }
            if same(a, ideal) { return 0 }
            return abs(a - ideal) / max(abs(a), abs(ideal))
        case let (.string(s), .string(a)):
            // 8. (actual == ideal) ? 0 : 1, "==" meaning one of the listed values.
            let ideal = (s.ideal?.isEmpty == false ? s.ideal : s.bare) ?? []
            return ideal.contains(a) ? 0 : 1
        case let (.boolean(b), .bool(a)):
            guard let ideal = b.ideal ?? b.bare else { return 0 }
            return a == ideal ? 0 : 1
        default:
            return 1
        }
    }

    /// The fitness distance between a settings dictionary and a constraint set: the sum.
    static func fitness(_ settings: MediaTrackSettings, _ set: MediaTrackConstraintSet,
                        bareIsExact: Bool, kind: MediaDeviceKind) -> Double {
        fitness(settings, set.members, bareIsExact: bareIsExact, kind: kind)
    }

    static func fitness(_ settings: MediaTrackSettings, _ members: [(ConstrainableProperty, Constraint)],
                        bareIsExact: Bool, kind: MediaDeviceKind) -> Double {
        var total = 0.0
        for (p, c) in members {
            total += distance(settings, p, c, bareIsExact: bareIsExact, kind: kind)
            if total == .infinity { return total }
        }
        return total
    }

    /// SelectSettings over `candidates` (all the settings dictionaries of the devices that
    /// may be chosen).
    static func run(_ constraints: MediaTrackConstraints, candidates all: [SettingsCandidate],
                    kind: MediaDeviceKind) -> SelectionResult {
        // Step 3: fitness against the basic set, bare values as ideal; keep the finite ones.
        var candidates: [(SettingsCandidate, Double)] = []
        let basic = constraints.basic.members
        for c in all {
            let d = fitness(c.settings, basic, bareIsExact: false, kind: kind)
            if d < .infinity { candidates.append((c, d)) }
        }
        // Step 4: none left: report a required constraint no dictionary could meet.
        if candidates.isEmpty {
            return .overconstrained(failedConstraint(constraints.basic, all, kind: kind))
        }
        // Step 5: each advanced set in order, bare values as exact; skipped if unsatisfiable.
        for set in constraints.advanced {
            let members = set.members
            guard !members.isEmpty else { continue }
            let kept = candidates.filter { fitness($0.0.settings, members, bareIsExact: true, kind: kind) < .infinity }
            if !kept.isEmpty { candidates = kept }
        }
        // Step 6: the smallest step-3 distance; ties by the UA's default preferences.
        var best = candidates[0]
        for c in candidates.dropFirst() {
            if c.1 < best.1 - 1e-12 { best = c; continue }
            if abs(c.1 - best.1) <= 1e-12, c.0.preference.lexicographicallyPrecedes(best.0.preference) { best = c }
        }
        return .selected(best.0)
    }

    /// ApplyConstraints step 2: a required constraint whose fitness distance was infinite
    /// for every settings dictionary examined, first in IDL order; "" if there is none.
    static func failedConstraint(_ set: MediaTrackConstraintSet, _ all: [SettingsCandidate], kind: MediaDeviceKind) -> String {
        for (p, c) in set.members where c.isRequired(bareIsExact: false) {
            let single = MediaTrackConstraintSet([p: c])
            if all.allSatisfy({ fitness($0.settings, single, bareIsExact: false, kind: kind) == .infinity }) {
                return p.rawValue
            }
        }
        return ""
    }
}
