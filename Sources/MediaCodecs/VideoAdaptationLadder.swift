/// One step of the degradation ladder: the size and rate to send, and whether libvpx may
/// drop frames itself (the last rung only).
public struct VideoRung: Sendable, Equatable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    public var frameRate: Double
    public var encoderMayDropFrames: Bool

    public init(width: Int, height: Int, frameRate: Double, encoderMayDropFrames: Bool = false) {
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.encoderMayDropFrames = encoderMayDropFrames
    }

    public var pixelsPerSecond: Double { Double(width * height) * frameRate }
    public var description: String {
        "\(width)x\(height)@\(frameRate.formatted2)\(encoderMayDropFrames ? "+drop" : "")"
    }
}

extension Double {
    fileprivate var formatted2: String {
        self == rounded() ? String(Int(self)) : String(Double(Int(self * 100)) / 100)
    }
}

/// The rungs of a degradation preference, best first (webrtc-extensions
/// §"degradationPreference"; the order of the thin-link issue):
/// - `balanced`: the frame rate down to the constraint's ideal, then the size by 3/4 and 2/3
///   steps (even sides, aspect kept, never below min), then the frame rate down to min.
///   Without an ideal frame rate there is nothing to go towards: the size goes first and the
///   rate stays (what Chromium does with a camera: at 300 kbit/s it sends 270p-360p at 30 fps,
///   where going to 20 fps first delivered half as many frames as Chromium on that link);
/// - `maintain-framerate`: the size only; `maintain-resolution`: the frame rate only;
/// - last, for all, the encoder's own frame dropping.
public enum VideoAdaptationLadder {
    /// Frame rates from `top` down to `floor`, each 2/3 of the one before (30, 20, 13.33,
    /// ...), the last exactly `floor`.
    static func frameRates(from top: Double, to floor: Double) -> [Double] {
        var rates = [top]
        var f = top
        while f * 2 / 3 > floor + 0.01 {
            f = (f * 2 / 3 * 100).rounded() / 100
            rates.append(f)
        }
        if floor < top - 0.01 { rates.append(floor) }
        return rates
    }

    /// Sizes from the captured one down: 3/4, then 2/3 of that (1/2), 3/8, 1/4, ...; each
    /// side even, none below the min bounds or `minPixels` (unless the capture is smaller).
    static func sizes(width: Int, height: Int, minWidth: Int?, minHeight: Int?, minPixels: Int) -> [(Int, Int)] {
        var out = [(width, height)]
        var scale = 1.0
        var step = 0
        while true {
            scale *= step % 2 == 0 ? 3.0 / 4 : 2.0 / 3
            step += 1
            let w = max(2, Int((Double(width) * scale / 2).rounded()) * 2)
            let h = max(2, Int((Double(height) * scale / 2).rounded()) * 2)
            if w < (minWidth ?? 0) || h < (minHeight ?? 0) || w * h < minPixels || w < 16 || h < 16 { break }
            if let last = out.last, last == (w, h) { break }
            out.append((w, h))
        }
        return out
    }

    public static func rungs(bounds b: VideoAdaptationBounds, preference: DegradationPreference,
                             minPixels: Int = 320 * 180) -> [VideoRung] {
        let top = b.topFrameRate, bottom = b.bottomFrameRate
        let sizes = sizes(width: b.captureWidth, height: b.captureHeight, minWidth: b.minWidth,
                          minHeight: b.minHeight, minPixels: minPixels)
        let (W, H) = (b.captureWidth, b.captureHeight)
        var rungs: [VideoRung]
        switch preference {
        case .maintainFramerate:
            rungs = sizes.map { VideoRung(width: $0.0, height: $0.1, frameRate: top) }
        case .maintainResolution:
            rungs = frameRates(from: top, to: bottom).map { VideoRung(width: W, height: H, frameRate: $0) }
        case .balanced:
            let ideal = b.idealFrameRate.map { min(top, max(bottom, $0)) }
            let middle = ideal ?? top
            rungs = frameRates(from: top, to: middle).map { VideoRung(width: W, height: H, frameRate: $0) }
            rungs += sizes.dropFirst().map { VideoRung(width: $0.0, height: $0.1, frameRate: middle) }
            let smallest = sizes.last ?? (W, H)
            rungs += frameRates(from: middle, to: bottom).dropFirst().map {
                VideoRung(width: smallest.0, height: smallest.1, frameRate: $0)
            }
        }
        if var last = rungs.last {
            last.encoderMayDropFrames = true
            rungs.append(last)
        }
        return rungs
    }
}
