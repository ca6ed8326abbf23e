/// What a command's loop waits for instead of looking every few milliseconds: Ctrl-C, a
/// `wake` from a handler (a track that ended on its own), a tick every `interval`, and the end
/// (one last wake at `end`, then none). `tincan loopback` and `tincan capture` looked every
/// 50 ms: twenty wake-ups a second for four samples or two progress lines.
struct CommandWakeups {
    /// One element per wake; wakes that come while the loop is busy merge into one.
    let wakes: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation
    private let ticker: Task<Void, Never>

    init(interrupted: Interrupt, every interval: Duration?, until end: ContinuousClock.Instant) {
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        interrupted.whenInterrupted { wake.yield() }
        ticker = Task {
            var next = ContinuousClock.now
            repeat {
                next = interval.map { min(next + $0, end) } ?? end
                try? await Task.sleep(until: next, clock: .continuous)
                wake.yield()
            } while next < end && !Task.isCancelled
        }
        self.wakes = wakes
        self.wake = wake
    }

    func stop() {
        ticker.cancel()
        wake.finish()
    }
}
