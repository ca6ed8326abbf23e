/// Bytes over a sliding window of time, as a rate (libwebrtc's `RateStatistics`): the
/// receive side's incoming bitrate, which AIMD decreases from. Buckets of 1 ms would be
/// libwebrtc's; 10 ms ones keep the ring small at no loss for a 500 ms window.
public struct RateStatistics: Sendable {
    public let window: Duration
    static let bucket: Duration = .milliseconds(10)
    private var buckets: [Int]
    /// Index (time / bucket) of the newest bucket, and the sum of the ring.
    private var newestBucket: Int64?
    private var firstBucket: Int64 = 0
    private var total = 0

    public init(window: Duration = .milliseconds(500)) {
        self.window = window
        buckets = Array(repeating: 0, count: max(1, Int(window / Self.bucket)))
    }

    public mutating func update(bytes: Int, at now: Duration) {
        let index = advance(to: now)
        buckets[Int(index % Int64(buckets.count))] += bytes
        total += bytes
    }

    /// bit/s over the window ending `now`; nil until the window has been half covered.
    public mutating func rate(at now: Duration) -> Int? {
        guard newestBucket != nil else { return nil }
        let index = advance(to: now)
        let covered = Double(index - firstBucket + 1) * Self.bucket.seconds
        guard covered >= window.seconds / 2 else { return nil }
        return Int(Double(total * 8) / min(covered, window.seconds))
    }

    private mutating func advance(to now: Duration) -> Int64 {
        let index = Int64((now / Self.bucket).rounded(.down))
        guard let newest = newestBucket else {
            newestBucket = index
            firstBucket = index
            return index
        }
        guard index > newest else { return newest }
        let n = Int64(buckets.count)
        var i = newest + 1
        while i <= index && i - newest <= n {
            let slot = Int(i % n)
            total -= buckets[slot]
            buckets[slot] = 0
            i += 1
        }
        newestBucket = index
        return index
    }
}
