import MediaCapture
import MediaPrimitives
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A running V4L2 capture: a thread polls the device, dequeues frames and hands them on.
/// The track ends (onEnd with an error) when the device fails or vanishes (ENODEV, POLLERR)
/// or stops delivering frames; it never hangs, because every wait has a timeout.
public final class V4L2CaptureSession: CaptureSession {
    private let stream: Mutex<V4L2Stream?>
    private let thread = CaptureThreadHandle()
    private let frames = Atomic<Int>(0)
    private let fd: Int32
    private let label: String
    /// The size and rate the driver granted (the driver may clamp what was asked).
    public let width: Int
    public let height: Int
    public let frameRate: Double

    /// Frames delivered so far.
    public var frameCount: Int { frames.load(ordering: .relaxed) }

    private init(stream: sending V4L2Stream, label: String) {
        fd = stream.fd
        width = stream.width
        height = stream.height
        frameRate = stream.frameRate
        self.label = label
        self.stream = Mutex(stream)
    }

    static func start(
        stream: sending V4L2Stream, label: String,
        onFrame: @escaping @Sendable (VideoFrame) -> Void,
        onEnd: @escaping CaptureEndHandler
    ) throws(MediaStreamError) -> V4L2CaptureSession {
        let session = V4L2CaptureSession(stream: stream, label: label)
        guard session.thread.start({ session.run(onFrame: onFrame, onEnd: onEnd) }) else {
            session.release()
            throw MediaStreamError(.notReadableError, "\(label): cannot start a capture thread")
        }
        return session
    }

    public func stop() {
        thread.stop()
        release()
    }

    private func release() {
        stream.withLock { s in
            s?.close()
            s = nil
        }
    }

    private func run(onFrame: @Sendable (VideoFrame) -> Void, onEnd: CaptureEndHandler) {
        // With no frame for this long the device is considered gone (a driver that neither
        // errors nor delivers must not hang the track).
        let stallLimit = UInt64(max(3.0, 10.0 / max(frameRate, 0.1)) * 1e9)
        var lastProgress = MonotonicClock.now()
        var idleWakeups = 0
        while !thread.isStopping {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 100)
            if thread.isStopping { return }
            if ready < 0 && errno != EINTR {
                return end(MediaStreamError(.notReadableError, "\(label): poll failed: \(CText.errorText(errno))"), onEnd)
            }
            if ready <= 0 {
                if MonotonicClock.now() - lastProgress > stallLimit {
                    return end(MediaStreamError(.notReadableError, "\(label) stopped delivering frames"), onEnd)
                }
                continue
            }
            let result = stream.withLock { s -> V4L2Stream.Dequeued in
                guard let s else { return .failed(EBADF) }
                return s.dequeue()
            }
            switch result {
            case .frame(let frame):
                lastProgress = MonotonicClock.now()
                idleWakeups = 0
                frames.add(1, ordering: .relaxed)
                onFrame(frame)
            case .skipped:
                lastProgress = MonotonicClock.now()
            case .notReady:
                // poll said ready (maybe POLLERR) but nothing came: do not spin forever.
                idleWakeups += 1
                if pfd.revents & Int16(POLLERR | POLLHUP) != 0 && idleWakeups > 20 {
                    return end(MediaStreamError(.notReadableError, "\(label) reported an error and stopped"), onEnd)
                }
                if idleWakeups > 20 { usleep(5000) }
                if MonotonicClock.now() - lastProgress > stallLimit {
                    return end(MediaStreamError(.notReadableError, "\(label) stopped delivering frames"), onEnd)
                }
            case .failed(let code):
                if thread.isStopping { return }
                let message = code == ENODEV || code == ENXIO || code == EIO
                    ? "\(label) was disconnected"
                    : "\(label): VIDIOC_DQBUF failed: \(CText.errorText(code))"
                return end(MediaStreamError(.notReadableError, message), onEnd)
            }
        }
    }

    /// Ends the capture from the capture thread: releases the device and reports once.
    private func end(_ error: MediaStreamError, _ onEnd: CaptureEndHandler) {
        guard thread.markStopping() else { return }
        release()
        onEnd(error)
    }
}
