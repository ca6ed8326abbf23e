import Foundation
import Logging
import Synchronization

/// The local candidates of one WHIP session on their way to PATCH (RFC 9725 §4.3.2).
/// Candidates gathered while the POST is in flight wait here until the session URL is known,
/// then go together in one PATCH; later ones go as they come, one PATCH at a time (each after
/// the previous one was answered, so the session sees them in order and end-of-candidates
/// last). A session that answers 405 or 501 does not trickle: nothing more is sent to it.
final class WHIPCandidateQueue: Sendable {
    /// Where the PATCHes go: the session URL, the POST's ETag, what the offer said.
    struct Target: Sendable {
        var sessionURL: URL
        var entityTag: String?
        var identity: TrickleICEFragment.DescriptionIdentity
    }
    typealias Send = @Sendable (_ target: Target, _ candidates: [String], _ endOfCandidates: Bool) async throws -> WHIPClient.TrickleOutcome

    private struct State {
        var target: Target?
        var pending: [String] = []
        var pendingEnd = false
        var endQueued = false
        var drain: Task<Void, Never>?
        /// The session answered 405/501: it takes no trickle.
        var refusedWith: Int?
        var stopped = false
        var counts = TrickleCounts()
    }
    private let state = Mutex(State())
    private let send: Send
    private let logger: Logger

    init(logger: Logger, send: @escaping Send) {
        self.logger = logger
        self.send = send
    }

    var counts: TrickleCounts { state.withLock { $0.counts } }

    func add(_ candidate: String) {
        state.withLock { s in
            guard !s.stopped, s.refusedWith == nil else { s.counts.dropped += 1; return }
            s.pending.append(TrickleICEFragment.attributeValue(candidate))
            kick(&s)
        }
    }

    func end() {
        state.withLock { s in
            guard !s.stopped, s.refusedWith == nil, !s.endQueued else { return }
            s.endQueued = true
            s.pendingEnd = true
            kick(&s)
        }
    }

    /// The POST was answered: what waited goes now.
    func start(_ target: Target) {
        state.withLock { s in
            s.target = target
            kick(&s)
        }
    }

    /// The session is over (DELETE): what has not gone is dropped, counted.
    func stop() {
        let task = state.withLock { s -> Task<Void, Never>? in
            s.stopped = true
            s.counts.dropped += s.pending.count
            s.pending.removeAll()
            return s.drain
        }
        task?.cancel()
    }

    /// Returns once nothing waits to be sent (tests; a caller that wants its end-of-candidates out).
    func drained() async {
        while let task = state.withLock({ $0.drain }) {
            await task.value
            if state.withLock({ $0.drain }) == task { return }
        }
    }

    /// Starts the one sending task when there is something to send and somewhere to send it.
    /// (The task takes the lock first thing, so it cannot end before `drain` is set.)
    private func kick(_ s: inout State) {
        guard s.target != nil, s.drain == nil, !s.stopped, s.refusedWith == nil, !s.pending.isEmpty || s.pendingEnd else { return }
        s.drain = Task { [self] in await drainLoop() }
    }

    private func drainLoop() async {
        while true {
            let job = state.withLock { s -> (Target, [String], Bool)? in
                guard let target = s.target, !s.stopped, s.refusedWith == nil else { s.drain = nil; return nil }
                let known = target.identity.candidates
                let batch = s.pending.filter { !known.contains($0) }
                s.counts.alreadyInDescription += s.pending.count - batch.count
                s.pending.removeAll()
                let end = s.pendingEnd && !target.identity.endOfCandidates
                s.pendingEnd = false
                if batch.isEmpty && !end { s.drain = nil; return nil }
                return (target, batch, end)
            }
            guard let (target, batch, end) = job else { return }
            do {
                switch try await send(target, batch, end) {
                case .taken:
                    state.withLock { s in
                        s.counts.sent += batch.count
                        if end { s.counts.endOfCandidatesSent = true }
                    }
                case .notSupported(let status):
                    let dropped = state.withLock { s -> Int in
                        s.refusedWith = status
                        s.counts.dropped += batch.count + s.pending.count
                        defer { s.pending.removeAll(); s.drain = nil }
                        return batch.count + s.pending.count
                    }
                    logger.notice("the WHIP session does not take trickled candidates (HTTP \(status), RFC 9725 §4.3.1): \(dropped) candidate(s) not sent, nor any later; the offer's own candidates must do")
                    return
                }
            } catch {
                if Task.isCancelled { state.withLock { $0.counts.dropped += batch.count; $0.drain = nil }; return }
                state.withLock { $0.counts.dropped += batch.count }
                logger.warning("a trickle PATCH to \(target.sessionURL) failed (\(batch.count) candidate(s)\(end ? " and end-of-candidates" : "") not taken): \(error)")
            }
        }
    }
}
