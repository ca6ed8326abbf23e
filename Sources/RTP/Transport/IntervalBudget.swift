/// A byte budget refilled at a rate, in the manner of libwebrtc's `IntervalBudget`
/// (modules/pacing/interval_budget.cc): the pacer's media and padding budgets, and the RTX
/// budget's token bucket.
///
/// Sending takes from the budget and may overdraw it (down to minus one window), so the rate
/// holds on average even with packets larger than one refill. Without `canBuildUpUnderuse`, a
/// budget that was not used is not saved up: an idle pacer does not burst afterwards.
public struct IntervalBudget: Sendable, Equatable {
    /// Bits per second.
    public private(set) var targetRate: Int
    /// Bytes that may be sent now; negative after an overdraw.
    public private(set) var bytesRemaining: Double = 0
    /// The budget holds at most this much sending time (libwebrtc: 500 ms).
    public let window: Duration
    public let canBuildUpUnderuse: Bool

    public init(targetRate: Int, window: Duration = .milliseconds(500), canBuildUpUnderuse: Bool = false) {
        self.targetRate = max(0, targetRate)
        self.window = window
        self.canBuildUpUnderuse = canBuildUpUnderuse
    }

    private var maximumBytes: Double { Double(targetRate) * window.seconds / 8 }

    public mutating func setTargetRate(_ bitsPerSecond: Int) {
        targetRate = max(0, bitsPerSecond)
        bytesRemaining = min(max(bytesRemaining, -maximumBytes), maximumBytes)
    }

    /// Adds `elapsed` worth of the rate.
    public mutating func increase(by elapsed: Duration) {
        let bytes = Double(targetRate) * elapsed.seconds / 8
        if bytesRemaining < 0 || canBuildUpUnderuse {
            // An overdraw last interval is paid back first.
            bytesRemaining = min(bytesRemaining + bytes, maximumBytes)
        } else {
            bytesRemaining = min(bytes, maximumBytes)
        }
    }

    public mutating func use(_ bytes: Int) {
        bytesRemaining = max(bytesRemaining - Double(bytes), -maximumBytes)
    }
}
