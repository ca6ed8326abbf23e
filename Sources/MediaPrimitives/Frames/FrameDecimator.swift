/// Frame-rate decimation by timestamps (§"frameRate": integral decimation of the native rate
/// MUST be supported): a frame is passed when it is due, with half a source interval of
/// tolerance, so 30 fps under a 10 fps setting passes every third frame, evenly spaced.
/// Public for the sender's adaptation, which decimates the same way.
public struct FrameDecimator: Sendable {
    public let sourceRate: Double
    public let targetRate: Double
    private var next: UInt64?

    public init(sourceRate: Double, targetRate: Double) {
        self.sourceRate = sourceRate
        self.targetRate = targetRate
    }

    public var passesAll: Bool { targetRate >= sourceRate * 0.999 }

    public mutating func admit(_ timestamp: UInt64) -> Bool {
        if passesAll { return true }
        let interval = UInt64(1e9 / targetRate)
        let slack = UInt64(0.5e9 / sourceRate)
        guard let due = next else {
            next = timestamp + interval
            return true
        }
        guard timestamp + slack >= due else { return false }
        // Keep the schedule, but do not try to catch up after a long gap.
        next = due + interval > timestamp ? due + interval : timestamp + interval
        return true
    }
}
