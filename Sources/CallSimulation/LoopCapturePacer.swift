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
            loop.scheduleTask(deadline: .uptimeNanoseconds(deadline)) {
                guard !pacing.isStopped, tick(n, deadline) else { return }
                schedule(n + 1)
            }
        }
        loop.execute { schedule(0) }
        return pacing
    }
}

/// Stopping only raises a flag that the next tick reads: a scheduled task is never cancelled
/// from another thread (NIOAsyncTestingEventLoop removes such a task before its promise is
/// failed, which NIO's debug build reports as a leaked promise).
final class LoopPacing: CapturePacing {
    private let stopped = Atomic<Bool>(false)

    var isStopped: Bool { stopped.load(ordering: .acquiring) }

    func stop() { stopped.store(true, ordering: .releasing) }
}
