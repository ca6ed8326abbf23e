import Synchronization

/// A queue of values between one producer and waiting consumers, that can be failed once
/// for good (the connection closed). Waiting can be cancelled and given a deadline.
package final class Mailbox<Value: Sendable>: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Value, any Error>
    }
    private struct State {
        var queue: [Value] = []
        var waiters: [Waiter] = []
        var failure: (any Error)?
        var nextID: UInt64 = 0
    }
    private let state = Mutex(State())
    private enum Outcome<V> { case value(V), error(any Error), wait }

    package init() {}

    /// Hands `value` to the oldest waiter, or queues it.
    package func put(_ value: Value) {
        let waiter: Waiter? = state.withLock { s in
            if s.failure != nil { return nil }
            if s.waiters.isEmpty {
                s.queue.append(value)
                return nil
            }
            return s.waiters.removeFirst()
        }
        waiter?.continuation.resume(returning: value)
    }

    /// Fails every waiter and every later `receive` with `error` (the first failure wins).
    package func fail(_ error: any Error) {
        let waiters: [Waiter] = state.withLock { s in
            if s.failure == nil { s.failure = error }
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.continuation.resume(throwing: error) }
    }

    /// Takes a queued value without waiting.
    package func poll() -> Value? {
        state.withLock { s in s.queue.isEmpty ? nil : s.queue.removeFirst() }
    }

    /// Takes the next value, waiting for it. Queued values are handed out before a failure.
    package func receive() async throws -> Value {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                let outcome: Outcome<Value> = state.withLock { s in
                    if !s.queue.isEmpty { return .value(s.queue.removeFirst()) }
                    if let failure = s.failure { return .error(failure) }
                    if Task.isCancelled { return .error(CancellationError()) }
                    s.waiters.append(Waiter(id: id, continuation: continuation))
                    return .wait
                }
                switch outcome {
                case .value(let v): continuation.resume(returning: v)
                case .error(let e): continuation.resume(throwing: e)
                case .wait: break
                }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { s in
                guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Takes the next value, or throws `SignalingError.timeout(what)` after `timeout`.
    package func receive(timeout: Duration?, _ what: @autoclosure () -> String) async throws -> Value {
        guard let timeout else { return try await receive() }
        let description = what()
        return try await withThrowingTaskGroup(of: Value.self) { group in
            group.addTask { try await self.receive() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw SignalingError.timeout(description)
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }
}
