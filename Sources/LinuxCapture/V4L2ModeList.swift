import MediaCapture

/// Turns what VIDIOC_ENUM_FRAMESIZES / ENUM_FRAMEINTERVALS report into the native modes the
/// constraint engine chooses among. Discrete lists pass through; stepwise and continuous
/// ranges (V4L2 spec §7.16, §7.17) are sampled at the common sizes and rates inside them plus
/// their extremes, since the engine works on a finite list.
public enum V4L2ModeList {
    /// A frame size range as ENUM_FRAMESIZES gives it (step 1 for continuous).
    public struct SizeRange: Sendable, Equatable {
        public var minWidth, maxWidth, stepWidth, minHeight, maxHeight, stepHeight: Int
        public init(
            minWidth: Int, maxWidth: Int, stepWidth: Int,
            minHeight: Int, maxHeight: Int, stepHeight: Int
        ) {
            self.minWidth = minWidth
            self.maxWidth = maxWidth
            self.stepWidth = stepWidth
            self.minHeight = minHeight
            self.maxHeight = maxHeight
            self.stepHeight = stepHeight
        }
    }

    static let commonSizes: [(Int, Int)] = [
        (160, 120), (320, 180), (320, 240), (640, 360), (640, 480), (800, 600),
        (960, 540), (1024, 768), (1280, 720), (1280, 960), (1920, 1080), (2560, 1440),
        (3840, 2160),
    ]
    static let commonRates: [Double] = [1, 5, 10, 15, 20, 24, 25, 30, 50, 60]

    /// Sizes offered by a stepwise or continuous range, smallest first.
    public static func sizes(in range: SizeRange) -> [(width: Int, height: Int)] {
        func fits(_ v: Int, _ lo: Int, _ hi: Int, _ step: Int) -> Bool {
            v >= lo && v <= hi && (step <= 1 || (v - lo) % step == 0)
        }
        var out: [(width: Int, height: Int)] = []
        func add(_ w: Int, _ h: Int) {
            guard w > 0, h > 0, !out.contains(where: { $0.width == w && $0.height == h }) else {
                return
            }
            out.append((w, h))
        }
        add(range.minWidth, range.minHeight)
        for (w, h) in commonSizes
        where fits(w, range.minWidth, range.maxWidth, range.stepWidth)
            && fits(h, range.minHeight, range.maxHeight, range.stepHeight)
        {
            add(w, h)
        }
        add(range.maxWidth, range.maxHeight)
        return out.sorted { ($0.width * $0.height, $0.width) < ($1.width * $1.height, $1.width) }
    }

    /// Frame rates offered by an interval range [minInterval, maxInterval] in seconds as
    /// fractions: the fastest rate, the slowest, and the common rates between.
    public static func rates(
        minInterval: (numerator: UInt32, denominator: UInt32),
        maxInterval: (numerator: UInt32, denominator: UInt32)
    ) -> [Double] {
        guard minInterval.numerator > 0, maxInterval.numerator > 0 else { return [] }
        let fastest = Double(minInterval.denominator) / Double(minInterval.numerator)
        let slowest = Double(maxInterval.denominator) / Double(maxInterval.numerator)
        guard fastest > 0, slowest > 0, slowest <= fastest else { return [] }
        var out = [slowest]
        for r in commonRates where r > slowest && r < fastest { out.append(r) }
        if fastest != slowest { out.append(fastest) }
        return out
    }

    /// A frame rate as the interval fraction VIDIOC_S_PARM takes (12.5 fps is 2/25 s).
    public static func interval(forFrameRate rate: Double) -> (numerator: UInt32, denominator: UInt32) {
        guard rate.isFinite, rate > 0 else { return (1, 30) }
        var numerator: UInt64 = 1000
        var denominator = UInt64((rate * 1000).rounded())
        if denominator == 0 { denominator = 1 }
        var a = numerator, b = denominator
        while b != 0 { (a, b) = (b, a % b) }
        numerator /= a
        denominator /= a
        return (UInt32(clamping: numerator), UInt32(clamping: denominator))
    }

    /// How much a native format is preferred when several give the same size and rate:
    /// formats libv4l2 converts to I420 cheaply first, compressed ones last.
    static func rank(fourCC: String) -> Int {
        switch fourCC {
        case "YU12": 0
        case "YV12": 1
        case "NV12": 2
        case "NV21": 3
        case "YUYV": 4
        case "UYVY": 5
        case "YVYU": 6
        case "VYUY": 7
        case "MJPG": 20
        case "JPEG": 21
        default: 10
        }
    }

    /// Merges modes that differ only in pixel format, keeping the preferred format, and
    /// sorts them by size then rate.
    public static func merge(_ modes: [VideoMode]) -> [VideoMode] {
        struct Key: Hashable { let w: Int, h: Int, r: Double }
        var best: [Key: VideoMode] = [:]
        var order: [Key] = []
        for mode in modes {
            let key = Key(w: mode.width, h: mode.height, r: mode.frameRate)
            if let existing = best[key] {
                if rank(fourCC: mode.pixelFormat) < rank(fourCC: existing.pixelFormat) {
                    best[key] = mode
                }
            } else {
                best[key] = mode
                order.append(key)
            }
        }
        return order.compactMap { best[$0] }.sorted {
            ($0.width * $0.height, $0.width, $0.frameRate) < ($1.width * $1.height, $1.width, $1.frameRate)
        }
    }
}
