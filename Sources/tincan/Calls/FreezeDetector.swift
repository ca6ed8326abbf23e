import MediaCapture
import MediaPrimitives

/// Finds freezes in the decoded video the way webrtc-stats counts `freezeCount`: a gap
/// between two frames longer than max(3 × the mean frame duration, mean + 150 ms), the mean
/// taken over the 30 frames before the gap (W3C webrtc-stats, RTCInboundRtpStreamStats
/// §freezeCount; libwebrtc's VideoQualityObserver).
struct FreezeDetector: Sendable {
    struct Freeze: Sendable, Equatable {
        /// When the last frame before the gap was decoded (ns).
        var start: UInt64
        var duration: UInt64
    }

    static let window = 30
    private(set) var freezes: [Freeze] = []
    private var durations = [UInt64](repeating: 0, count: window)
    private var count = 0
    private var sum: UInt64 = 0
    private var last: UInt64?

    mutating func frameDecoded(at now: UInt64) {
        defer { last = now }
        guard let last, now > last else { return }
        let gap = now - last
        let n = min(count, Self.window)
        if n >= 3 {
            let mean = sum / UInt64(n)
            if gap > max(3 * mean, mean + 150_000_000) {
                freezes.append(Freeze(start: last, duration: gap))
                return  // a freeze does not count towards the mean
            }
        }
        let slot = count % Self.window
        sum = sum - durations[slot] + gap
        durations[slot] = gap
        count += 1
    }

    /// The freezes as webrtc-stats reports them (freezeCount, totalFreezesDuration) plus the
    /// longest one, in ms rounded to 0.1: what `tincan recv` and `tincan loopback` print, so a
    /// Tincan receiver and Chromium's getStats are read on the same definition.
    var figures: [(String, JSONValue)] {
        func ms(_ ns: UInt64) -> JSONValue { .number((Double(ns) / 1e5).rounded() / 10) }
        return [("freezeCount", .number(Double(freezes.count))),
                ("longestFreezeMs", ms(freezes.map(\.duration).max() ?? 0)),
                ("totalFreezeMs", ms(freezes.map(\.duration).reduce(0, +)))]
    }
}
