import MediaCapture

/// What adaptation may do to a track's video: the captured size and rate (the track's
/// getSettings(), which adaptation never changes) and the constraint bounds it must respect
/// (getusermedia §"frameRate"/"width"/"height": never above max, never below min).
public struct VideoAdaptationBounds: Sendable, Equatable {
    public var captureWidth: Int
    public var captureHeight: Int
    public var captureFrameRate: Double
    public var minFrameRate: Double?
    public var idealFrameRate: Double?
    public var maxFrameRate: Double?
    public var minWidth: Int?
    public var minHeight: Int?

    public init(captureWidth: Int, captureHeight: Int, captureFrameRate: Double,
                minFrameRate: Double? = nil, idealFrameRate: Double? = nil, maxFrameRate: Double? = nil,
                minWidth: Int? = nil, minHeight: Int? = nil) {
        self.captureWidth = captureWidth
        self.captureHeight = captureHeight
        self.captureFrameRate = captureFrameRate
        self.minFrameRate = minFrameRate
        self.idealFrameRate = idealFrameRate
        self.maxFrameRate = maxFrameRate
        self.minWidth = minWidth
        self.minHeight = minHeight
    }

    /// From a track: its settings (what is captured) and the basic set of its constraints
    /// (`exact` counts as both min and max; a bare value in the basic set is an ideal).
    public init(settings: MediaTrackSettings, constraints: MediaTrackConstraints) {
        func numeric(_ p: ConstrainableProperty) -> NumericConstraint? {
            if case .numeric(let c)? = constraints.basic[p] { return c }
            return nil
        }
        let fps = numeric(.frameRate), w = numeric(.width), h = numeric(.height)
        self.init(captureWidth: settings.width ?? 640, captureHeight: settings.height ?? 480,
                  captureFrameRate: settings.frameRate ?? 30,
                  minFrameRate: fps?.exact ?? fps?.min, idealFrameRate: fps?.ideal ?? fps?.bare,
                  maxFrameRate: fps?.exact ?? fps?.max,
                  minWidth: (w?.exact ?? w?.min).map { Int($0) }, minHeight: (h?.exact ?? h?.min).map { Int($0) })
    }

    /// The highest rate to send: the captured one, under max.
    var topFrameRate: Double { max(1, min(captureFrameRate, maxFrameRate ?? .infinity)) }
    /// The lowest: the constraint's min, else `defaultMinFrameRate`.
    var bottomFrameRate: Double { min(topFrameRate, max(1, minFrameRate ?? Self.defaultMinFrameRate)) }
    /// Without a min constraint the frame rate stops here: below it motion falls apart and
    /// the size is already at its floor.
    public static let defaultMinFrameRate = 5.0
}
