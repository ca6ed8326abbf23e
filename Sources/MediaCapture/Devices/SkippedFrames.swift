import Logging
import Synchronization

/// Counts the frames a paced fake camera left out because its sinks were still busy with an
/// earlier one (`CapturePacer.start(interval:skippingLateTicks:tick:)`: the tick number
/// jumps), and says so in the log: the first time at notice, then with the running count at
/// most every 10 s (at debug), so that a sender that cannot keep up is never silent about
/// the frames it did not get.
final class SkippedFrames: Sendable {
    private struct State {
        var next = 0
        var skipped = 0
        var loggedAt: UInt64?
    }
    private let state = Mutex(State())
    private let label: String
    private static let log = Logger(label: "tincan.capture")

    init(label: String) { self.label = label }

    /// The frames left out so far.
    var count: Int { state.withLock { $0.skipped } }

    /// Tick `n` is about to deliver a frame (at `now`, monotonic ns).
    func tick(_ n: Int, now: UInt64) {
        let report = state.withLock { s -> (first: Bool, total: Int)? in
            defer { s.next = n + 1 }
            guard n > s.next else { return nil }
            s.skipped += n - s.next
            let first = s.loggedAt == nil
            guard first || now &- (s.loggedAt ?? 0) >= 10_000_000_000 else { return nil }
            s.loggedAt = now
            return (first, s.skipped)
        }
        guard let report else { return }
        if report.first {
            Self.log.notice("\(label): its sinks took longer than a frame; frames are left out as a camera drops them (\(report.total) so far)")
        } else {
            Self.log.debug("\(label): \(report.total) frames left out so far, the sinks being slower than the frame rate")
        }
    }
}
