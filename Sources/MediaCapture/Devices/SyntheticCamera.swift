import MediaPrimitives
import Synchronization

/// A running fake capture: a paced thread plus the end handler, so a test can make the
/// device "unplug" (`onEnd`).
final class PacedSession: CaptureSession {
    private let thread: Mutex<(any CapturePacing)?> = Mutex(nil)
    private let onEnd: CaptureEndHandler
    private let onStop: @Sendable () -> Void
    private let stopped = Atomic<Bool>(false)

    init(onEnd: @escaping CaptureEndHandler, onStop: @escaping @Sendable () -> Void) {
        self.onEnd = onEnd
        self.onStop = onStop
    }

    func attach(_ t: any CapturePacing) { thread.withLock { $0 = t } }

    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let t = thread.withLock { t in defer { t = nil }; return t }
        t?.stop()
        onStop()
    }

    /// The device went away: stop and tell the track why.
    func end(_ error: MediaStreamError?) {
        guard !stopped.load(ordering: .acquiring) else { return }
        stop()
        onEnd(error)
    }
}

/// Which fake sessions are open, so tests can see a device released ("the light goes off").
final class SessionRegistry: Sendable {
    private let sessions = Mutex<[ObjectIdentifier: PacedSession]>([:])
    func add(_ s: PacedSession) { sessions.withLock { $0[ObjectIdentifier(s)] = s } }
    func remove(_ s: PacedSession) { _ = sessions.withLock { $0.removeValue(forKey: ObjectIdentifier(s)) } }
    var count: Int { sessions.withLock { $0.count } }
    func endAll(_ error: MediaStreamError?) {
        let all = sessions.withLock { Array($0.values) }
        for s in all { s.end(error) }
    }
}

/// The built-in fake camera (like Chromium's `--use-fake-device-for-media-stream`): any of its
/// modes, a moving pattern with the frame number and capture time burned in
/// (`SyntheticPattern`), paced in real time on a thread of its own.
public final class SyntheticCamera: VideoCaptureDevice {
    public let deviceId: String
    public let groupId: String
    public let label: String
    public let facingMode: String?
    public let modes: [VideoMode]
    public let resizeModes: [String]
    /// Paced: a busy sink costs frames (counted in the log), never latency.
    public var toleratesSlowSinks: Bool { true }
    /// When set, start() fails with it (a busy or broken camera, for tests).
    public let startError: MediaStreamError?
    /// Real time by default; a simulated call passes its loop's clock.
    public let pacer: any CapturePacer
    private let registry = SessionRegistry()

    public static let defaultModes: [VideoMode] = [
        VideoMode(width: 640, height: 480, frameRate: 30),
        VideoMode(width: 1280, height: 720, frameRate: 30),
        VideoMode(width: 1920, height: 1080, frameRate: 30),
        VideoMode(width: 320, height: 240, frameRate: 30),
    ]

    public init(deviceId: String = "fake-camera", groupId: String = "fake-group", label: String = "Tincan synthetic camera",
                facingMode: String? = "user", modes: [VideoMode] = SyntheticCamera.defaultModes,
                resizeModes: [String] = ["none", "crop-and-scale"], startError: MediaStreamError? = nil,
                pacer: any CapturePacer = RealTimePacer()) {
        self.pacer = pacer
        self.deviceId = deviceId
        self.groupId = groupId
        self.label = label
        self.facingMode = facingMode
        self.modes = modes
        self.resizeModes = resizeModes
        self.startError = startError
    }

    /// How many captures are open on this camera now (0: its light is off).
    public var openSessionCount: Int { registry.count }

    /// Ends every open capture as if the camera were unplugged (fires the tracks' `ended`).
    public func simulateEnd(_ error: MediaStreamError? = nil) { registry.endAll(error) }

    public func start(mode: VideoMode, onFrame: @escaping @Sendable (VideoFrame) -> Void,
                      onEnd: @escaping CaptureEndHandler) throws(MediaStreamError) -> CaptureSession {
        if let startError { throw startError }
        guard modes.contains(mode) else {
            throw MediaStreamError(.notReadableError, "\(label) has no mode \(mode.width)x\(mode.height)@\(mode.frameRate)")
        }
        if let problem = CaptureLimits.check(mode, "the mode") {
            throw MediaStreamError(.notReadableError, "\(label) cannot open \(mode.width)x\(mode.height)@\(mode.frameRate): \(problem)")
        }
        let registry = self.registry
        let session = PacedSession(onEnd: onEnd, onStop: {})
        let w = mode.width, h = mode.height
        let background = SyntheticPattern.background(width: w, height: h)
        let interval = UInt64((1e9 / mode.frameRate).rounded())
        registry.add(session)
        // Frames are drawn into a pool that outlasts the encoder's queue: none allocated warm.
        let pool = Mutex(VideoFramePool(count: 4))
        let skipped = SkippedFrames(label: label)
        let thread = pacer.start(interval: interval, skippingLateTicks: true) { n, deadline in
            skipped.tick(n, now: deadline)
            let frame = pool.withLock {
                SyntheticPattern.frame(width: w, height: h, frameNumber: n, timestamp: deadline, background: background, pool: &$0)
            }
            onFrame(frame)
            return true
        }
        session.attach(thread)
        return RegisteredSession(session, registry)
    }
}

/// A session that leaves the device's registry when stopped.
final class RegisteredSession: CaptureSession {
    let inner: PacedSession
    let registry: SessionRegistry
    init(_ inner: PacedSession, _ registry: SessionRegistry) { self.inner = inner; self.registry = registry }
    func stop() {
        inner.stop()
        registry.remove(inner)
    }
}
