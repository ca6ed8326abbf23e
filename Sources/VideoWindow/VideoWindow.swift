import Foundation
import Logging
import MediaPrimitives
import Synchronization

/// A window that shows a received video track: the latest picture scaled to fit with its
/// aspect ratio kept, a small self-view of the local camera in a corner and a stats line.
///
/// Every SDL call is made on the window's own thread (SDL is not thread-safe, and its event
/// wait must never hold up the connection's event loop or the cooperative pool). Pictures
/// reach it through two `LatestFrameSlot`s: a decoder or a camera never waits for the window,
/// and what the window was too slow to show is counted as dropped.
public final class VideoWindow: Sendable {
    /// The received pictures (put from the receiver's decoding thread).
    public let remote = LatestFrameSlot<VideoFrame>()
    /// The local camera's pictures (put from its capture thread).
    public let selfView = LatestFrameSlot<VideoFrame>()

    static let log = Logger(label: "tincan.window")

    private struct Shared {
        var statsLine = ""
        var statsVersion = 0
        var stopRequested = false
        var finished = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let shared = Mutex(Shared())
    private let closedByUserFlag = Atomic<Bool>(false)
    private let onClose: @Sendable () -> Void

    private init(onClose: @escaping @Sendable () -> Void) { self.onClose = onClose }

    /// The display a window would open on, from the environment (X11's DISPLAY, Wayland's
    /// WAYLAND_DISPLAY, or an explicit SDL_VIDEODRIVER); nil when there is none, so a headless
    /// machine is told so without SDL probing its console.
    public static var display: String? {
        let env = ProcessInfo.processInfo.environment
        for key in ["DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"] {
            if let v = env[key], !v.isEmpty { return "\(key)=\(v)" }
        }
        return nil
    }

    /// Opens the window on a thread of its own and returns once it shows (or failed to).
    /// `onClose` runs on the window's thread when the user closes the window (its close
    /// button, Escape or Q), after SDL is released; `close()` does not call it.
    public static func open(title: String, width: Int = 960, height: Int = 540,
                            onClose: @escaping @Sendable () -> Void) async throws(VideoWindowError) -> VideoWindow {
        guard display != nil else { throw .noDisplay("neither DISPLAY nor WAYLAND_DISPLAY is set") }
        let window = VideoWindow(onClose: onClose)
        let result = await withCheckedContinuation { (started: CheckedContinuation<Result<Void, VideoWindowError>, Never>) in
            let thread = Thread {
                window.run(title: title, width: width, height: height) { started.resume(returning: $0) }
            }
            thread.name = "tincan.window"
            thread.start()
        }
        try result.get()
        return window
    }

    /// The line under the picture (resolution, fps, bitrate, RTT, loss); any thread.
    public func setStatsLine(_ text: String) {
        shared.withLock { s in
            guard s.statsLine != text else { return }
            s.statsLine = text
            s.statsVersion &+= 1
        }
    }

    /// True once the user closed the window.
    public var closedByUser: Bool { closedByUserFlag.load(ordering: .acquiring) }

    /// Closes the window (if the user has not) and returns when its thread has released SDL.
    public func close() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = shared.withLock { s -> Bool in
                s.stopRequested = true
                if s.finished { return true }
                s.waiters.append(c)
                return false
            }
            if done { c.resume() }
        }
    }

    // MARK: The window's thread

    private func run(title: String, width: Int, height: Int, started: (Result<Void, VideoWindowError>) -> Void) {
        var closedByUser = false
        do {
            let scene = try WindowScene(title: title, width: width, height: height)
            started(.success(()))
            closedByUser = loop(scene)
        } catch {
            started(.failure(error))
        }
        // The scene (and with it every SDL object, then SDL itself) is gone here.
        let waiters = shared.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.finished = true
            defer { s.waiters = [] }
            return s.waiters
        }
        let r = remote.counters, v = selfView.counters
        Self.log.info("window closed: \(r.taken) pictures shown, \(r.dropped) dropped (the window was slower than the decoder); self-view \(v.taken) shown, \(v.dropped) dropped")
        for w in waiters { w.resume() }
        if closedByUser {
            closedByUserFlag.store(true, ordering: .releasing)
            onClose()
        }
    }

    /// Draws until `close()` (false) or the user closes the window (true).
    private func loop(_ scene: WindowScene) -> Bool {
        var statsVersion = -1
        while true {
            let (stop, line, version) = shared.withLock { ($0.stopRequested, $0.statsLine, $0.statsVersion) }
            if stop { return false }
            if scene.handleEvents() { return true }
            var dirty = scene.resized
            if let frame = remote.take() { dirty = scene.showRemote(frame) || dirty }
            if let frame = selfView.take() { dirty = scene.showSelf(frame) || dirty }
            if version != statsVersion {
                statsVersion = version
                scene.statsLine = line
                dirty = true
            }
            if dirty { scene.render() }
            scene.waitForEvent(milliseconds: 5)
        }
    }
}
