import MediaPrimitives
/// One constraint of a ConstraintSet (getusermedia.html §"Types for Constrainable
/// Properties"): a bare value, or a dictionary of `exact` / `ideal` / `min` / `max`. A bare
/// value is kept apart because its meaning depends on where it stands: ideal in the basic
/// set, exact inside `advanced` (§"Constrainable Pattern", SelectSettings steps 3 and 5).
public enum Constraint: Sendable, Equatable {
    case numeric(NumericConstraint)
    case string(StringConstraint)
    case boolean(BooleanConstraint)

    /// True when the constraint says nothing (an empty dictionary or empty list): SelectSettings
    /// step 1, "an empty constraint == no constraint".
    public var isEmpty: Bool {
        switch self {
        case .numeric(let c): return c.bare == nil && c.exact == nil && c.ideal == nil && c.min == nil && c.max == nil
        case .string(let c): return (c.bare ?? []).isEmpty && (c.exact ?? []).isEmpty && (c.ideal ?? []).isEmpty
        case .boolean(let c): return c.bare == nil && c.exact == nil && c.ideal == nil
        }
    }

    /// Whether the constraint is required in this context (SelectSettings, "required" in the
    /// fitness distance definition, step 2).
    func isRequired(bareIsExact: Bool) -> Bool {
        switch self {
        case .numeric(let c): return c.exact != nil || c.min != nil || c.max != nil || (bareIsExact && c.bare != nil)
        case .string(let c): return !(c.exact ?? []).isEmpty || (bareIsExact && !(c.bare ?? []).isEmpty)
        case .boolean(let c): return c.exact != nil || (bareIsExact && c.bare != nil)
        }
    }

    /// The JSON form, as getConstraints() returns it.
    var json: JSONValue {
        switch self {
        case .numeric(let c):
            if let bare = c.bare, c.exact == nil, c.ideal == nil, c.min == nil, c.max == nil { return .number(bare) }
            var m: [(String, JSONValue)] = []
            if let v = c.min { m.append(("min", .number(v))) }
            if let v = c.max { m.append(("max", .number(v))) }
            if let v = c.exact { m.append(("exact", .number(v))) }
            if let v = c.ideal ?? c.bare { m.append(("ideal", .number(v))) }
            return .object(m)
        case .string(let c):
            func list(_ l: [String]) -> JSONValue { l.count == 1 ? .string(l[0]) : .array(l.map { .string($0) }) }
            if let bare = c.bare, c.exact == nil, c.ideal == nil { return list(bare) }
            var m: [(String, JSONValue)] = []
            if let v = c.exact { m.append(("exact", list(v))) }
            if let v = c.ideal ?? c.bare { m.append(("ideal", list(v))) }
            return .object(m)
        case .boolean(let c):
            if let bare = c.bare, c.exact == nil, c.ideal == nil { return .bool(bare) }
            var m: [(String, JSONValue)] = []
            if let v = c.exact { m.append(("exact", .bool(v))) }
            if let v = c.ideal ?? c.bare { m.append(("ideal", .bool(v))) }
            return .object(m)
        }
    }
}

/// ConstrainULong / ConstrainDouble.
public struct NumericConstraint: Sendable, Equatable {
    public var bare: Double?
    public var exact: Double?
    public var ideal: Double?
    public var min: Double?
    public var max: Double?
    public init(bare: Double? = nil, exact: Double? = nil, ideal: Double? = nil, min: Double? = nil, max: Double? = nil) {
        self.bare = bare; self.exact = exact; self.ideal = ideal; self.min = min; self.max = max
    }
}

/// ConstrainDOMString: each of bare / exact / ideal is a list of alternatives (a single
/// string is a list of one).
public struct StringConstraint: Sendable, Equatable {
    public var bare: [String]?
    public var exact: [String]?
    public var ideal: [String]?
    public init(bare: [String]? = nil, exact: [String]? = nil, ideal: [String]? = nil) {
        self.bare = bare; self.exact = exact; self.ideal = ideal
    }
}

/// ConstrainBoolean.
public struct BooleanConstraint: Sendable, Equatable {
    public var bare: Bool?
    public var exact: Bool?
    public var ideal: Bool?
    public init(bare: Bool? = nil, exact: Bool? = nil, ideal: Bool? = nil) {
        self.bare = bare; self.exact = exact; self.ideal = ideal
    }
}
