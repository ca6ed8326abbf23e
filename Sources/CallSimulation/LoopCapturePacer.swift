import MediaCapture
import NIOCore
import Synchronization

/// Paces a fake camera or microphone on an event loop's clock: in a simulated call the
/// frames come at simulated times, stamped with them.
public struct LoopCapturePacer: CapturePacer {
    public let eventLoop: any EventLoop

    public init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    public func start(interval: UInt64, tick: @escaping @Sendable (Int, UInt64) -> Bool) -> any CapturePacing {
        let pacing = LoopPacing()
        let start = eventLoop.now.uptimeNanoseconds
        let loop = eventLoop
        @Sendable func schedule(_ n: Int) {
            let deadline = start + UInt64(n) * interval
            let task = loop.scheduleTask(deadline: .uptimeNanoseconds(deadline)) {
                guard !pacing.isStopped, tick(n, deadline) else { return }
                schedule(n + 1)
            }
            pacing.set(task)
        }
        loop.execute { schedule(0) }
        return pacing
    }
}

final class LoopPacing: CapturePacing {
    private let state = Mutex<(stopped: Bool, task: Scheduled<Void>?)>((false, nil))

    var isStopped: Bool { state.withLock { $0.stopped } }

    func set(_ task: Scheduled<Void>) {
        let cancel = state.withLock { s -> Bool in
            if s.stopped { return true }
            s.task = task
            return false
        }
        if cancel { task.cancel() }
    }

    func stop() {
        let task = state.withLock { s -> Scheduled<Void>? in
            s.stopped = true
            defer { s.task = nil }
            return s.task
        }
        task?.cancel()
    }
}
