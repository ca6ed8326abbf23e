import MediaPrimitives
import Synchronization

/// `MediaStreamTrackState`.
public enum MediaStreamTrackState: String, Sendable { case live, ended }

/// The device behind a track.
enum TrackSource: Sendable {
    case video(any VideoCaptureDevice)
    case audio(any AudioCaptureDevice)

    var kind: MediaDeviceKind { if case .video = self { return .videoinput } else { return .audioinput } }
    var label: String {
        switch self {
        case .video(let d): return d.label
        case .audio(let d): return d.label
        }
    }
}

/// Identifies a frame sink so it can be removed.
public struct FrameSinkToken: Sendable, Hashable { let value: Int }

/// A MediaStreamTrack (getusermedia.html §"MediaStreamTrack") over one capture device.
///
/// What it delivers matches getSettings(): frame-rate decimation and crop-and-scale happen
/// here, on the device's thread, before any sink sees a frame, and so do a microphone's
/// echoCancellation, noiseSuppression and autoGainControl (`MicrophoneProcessing`). While `enabled` is false it
/// delivers black frames or silence, and after `gracePeriod` seconds releases the device
/// (its light goes off) without dropping the permission; enabling opens it again.
public final class MediaStreamTrack: Sendable {
    public let id: String
    public let label: String
    let source: TrackSource
    private let indicator: any CaptureIndicator
    private let gracePeriod: Double
    /// Paces the grace timer and the filler (`MediaDevices.Options.pacer`).
    private let pacer: any CapturePacer
    private let processingOptions: AudioProcessingOptions

    private struct State {
        var enabled = true
        var muted = false
        var readyState = MediaStreamTrackState.live
        var settings: MediaTrackSettings
        var constraints: MediaTrackConstraints
        var candidate: SettingsCandidate
        var session: CaptureSession?
        /// Black frames / silence while the device is released.
        var filler: (any CapturePacing)?
        var graceTimer: (any CapturePacing)?
        var shaper: VideoShaper?
        var decimator: FrameDecimator?
        /// A microphone's processing, as its settings say (nil: none asked for).
        var processing: MicrophoneProcessing?
        var nextSink = 0
        var videoSinks: [Int: @Sendable (VideoFrame) -> Void] = [:] {
            didSet { videoSinkList = Array(videoSinks.values) }
        }
        /// The sinks as lists, built when they change, not per frame.
        var videoSinkList: [@Sendable (VideoFrame) -> Void] = []
        /// Whether a video sink was ever added (the first one restarts the decimation).
        var hadVideoSink = false
        var audioSinks: [Int: @Sendable (AudioFrame) -> Void] = [:] {
            didSet { audioSinkList = Array(audioSinks.values) }
        }
        var audioSinkList: [@Sendable (AudioFrame) -> Void] = []
        var endSinks: [Int: @Sendable () -> Void] = [:]
        var finishers: [Int: @Sendable () -> Void] = [:]
        var endedByDevice: MediaStreamError?
        var capturing = false
    }
    private let state: Mutex<State>
    /// The crop-and-scale output: buffers reused once the sinks let go (only the device's
    /// thread shapes; the lock is never held across a sink).
    private let shaped = Mutex(VideoFramePool(count: 4))

    init(source: TrackSource, candidate: SettingsCandidate, constraints: MediaTrackConstraints,
         indicator: any CaptureIndicator, gracePeriod: Double, pacer: any CapturePacer,
         processingOptions: AudioProcessingOptions = AudioProcessingOptions()) {
        self.id = MediaStreamTrack.makeId()
        self.source = source
        self.label = source.label
        self.indicator = indicator
        self.gracePeriod = gracePeriod
        self.pacer = pacer
        self.processingOptions = processingOptions
        var initial = State(settings: candidate.settings, constraints: constraints, candidate: candidate)
        initial.processing = MicrophoneProcessing.make(for: candidate.settings, mode: candidate.audioMode, options: processingOptions)
        state = Mutex(initial)
        state.withLock { MediaStreamTrack.configure(&$0) }
    }

    /// "video" or "audio".
    public var kind: String { source.kind == .videoinput ? "video" : "audio" }
    public var deviceKind: MediaDeviceKind { source.kind }
    public var readyState: MediaStreamTrackState { state.withLock { $0.readyState } }
    public var muted: Bool { state.withLock { $0.muted } }
    /// Why the device ended the track, when it did (nil after stop()).
    public var endError: MediaStreamError? { state.withLock { $0.endedByDevice } }
    /// Whether the device is open now (false while released after being disabled).
    public var isDeviceOpen: Bool { state.withLock { $0.session != nil } }
    var deviceIndex: Int { state.withLock { $0.candidate.deviceIndex } }
    /// Whether a video sink may take longer than a frame interval on the thread that
    /// delivers (`VideoCaptureDevice.toleratesSlowSinks`: the camera then leaves frames out);
    /// false for a microphone.
    public var toleratesSlowSinks: Bool {
        if case .video(let device) = source { device.toleratesSlowSinks } else { false }
    }

    public var enabled: Bool {
        get { state.withLock { $0.enabled } }
        set { setEnabled(newValue) }
    }

    public func getSettings() -> MediaTrackSettings { state.withLock { $0.settings } }

    /// A microphone track's processing and its counts; nil when none runs (a camera, or
    /// echoCancellation, noiseSuppression and autoGainControl all false).
    public var audioProcessing: AudioProcessingStatistics? { state.withLock { $0.processing }?.statistics }
    public func getConstraints() -> MediaTrackConstraints { state.withLock { $0.constraints } }
    public func getCapabilities() -> MediaTrackCapabilities {
        switch source {
        case .video(let d): return .of(d)
        case .audio(let d): return .of(d)
        }
    }

    // MARK: frames out

    /// Calls `sink` with every video frame, on the device's thread (keep it short). The first
    /// sink of a track's life gets the camera's next frame, not the one the decimated rhythm
    /// would pick next (up to a frame interval later: 100 ms at 10 fps): a sender added just
    /// before its call connects then has a picture to start with. Later sinks join the rhythm
    /// (a sender swapping its warm-up sink for its live one sends no early frame).
    @discardableResult
    public func addVideoSink(_ sink: @escaping @Sendable (VideoFrame) -> Void) -> FrameSinkToken {
        state.withLock { s in
            if !s.hadVideoSink, let d = s.decimator {
                s.decimator = FrameDecimator(sourceRate: d.sourceRate, targetRate: d.targetRate)
            }
            s.hadVideoSink = true
            s.nextSink += 1
            s.videoSinks[s.nextSink] = sink
            return FrameSinkToken(value: s.nextSink)
        }
    }

    /// Calls `sink` with every audio frame (10 ms), on the device's thread.
    @discardableResult
    public func addAudioSink(_ sink: @escaping @Sendable (AudioFrame) -> Void) -> FrameSinkToken {
        state.withLock { s in
            s.nextSink += 1
            s.audioSinks[s.nextSink] = sink
            return FrameSinkToken(value: s.nextSink)
        }
    }

    public func removeSink(_ token: FrameSinkToken) {
        state.withLock { s in
            s.videoSinks[token.value] = nil
            s.audioSinks[token.value] = nil
            s.endSinks[token.value] = nil
            s.finishers[token.value] = nil
        }
    }

    /// The `ended` event: called once when the device ends the track (unplugged, failed);
    /// not called by stop(), as in the spec.
    @discardableResult
    public func onEnded(_ handler: @escaping @Sendable () -> Void) -> FrameSinkToken {
        state.withLock { s in
            s.nextSink += 1
            s.endSinks[s.nextSink] = handler
            return FrameSinkToken(value: s.nextSink)
        }
    }

    /// Video frames as an async sequence; the newest `buffer` frames are kept when the reader
    /// is slow. Finishes when the track ends.
    public func videoFrames(buffer: Int = 4) -> AsyncStream<VideoFrame> {
        frames(buffer: buffer) { addVideoSink($0) }
    }

    /// Audio frames as an async sequence. Finishes when the track ends.
    public func audioFrames(buffer: Int = 50) -> AsyncStream<AudioFrame> {
        frames(buffer: buffer) { addAudioSink($0) }
    }

    /// One sink feeding an AsyncStream, removed when the reader goes away.
    private func frames<Frame: Sendable>(
        buffer: Int, addSink: (@escaping @Sendable (Frame) -> Void) -> FrameSinkToken
    ) -> AsyncStream<Frame> {
        let (stream, continuation) = AsyncStream<Frame>.makeStream(bufferingPolicy: .bufferingNewest(buffer))
        let token = addSink { continuation.yield($0) }
        let endToken = addFinisher { continuation.finish() }
        continuation.onTermination = { [weak self] _ in
            self?.removeSink(token)
            self?.removeSink(endToken)
        }
        if readyState == .ended { continuation.finish() }
        return stream
    }

    /// Registers what ends an async sequence when the track ends (stop() or the device).
    private func addFinisher(_ f: @escaping @Sendable () -> Void) -> FrameSinkToken {
        state.withLock { s in
            s.nextSink += 1
            s.finishers[s.nextSink] = f
            return FrameSinkToken(value: s.nextSink)
        }
    }

    // MARK: capture

    private static func configure(_ s: inout State) {
        guard let mode = s.candidate.videoMode else { return }
        let w = s.settings.width ?? mode.width, h = s.settings.height ?? mode.height
        s.shaper = VideoShaper(nativeWidth: mode.width, nativeHeight: mode.height, width: w, height: h)
        s.decimator = FrameDecimator(sourceRate: mode.frameRate, targetRate: s.settings.frameRate ?? mode.frameRate)
    }

    /// Opens the device in the selected mode (getUserMedia does this once permission is given).
    func startCapture() throws(MediaStreamError) {
        try openDevice()
        state.withLock { $0.capturing = true }
    }

    private func openDevice() throws(MediaStreamError) {
        let candidate = state.withLock { $0.candidate }
        let session: CaptureSession
        let onEnd: CaptureEndHandler = { [weak self] error in self?.deviceEnded(error) }
        switch source {
        case .video(let device):
            guard let mode = candidate.videoMode else { throw MediaStreamError(.abortError, "no video mode was selected") }
            session = try device.start(mode: mode, onFrame: { [weak self] f in self?.handle(f) }, onEnd: onEnd)
        case .audio(let device):
            guard let mode = candidate.audioMode else { throw MediaStreamError(.abortError, "no audio mode was selected") }
            session = try device.start(mode: mode, onFrame: { [weak self] f in self?.handle(f) }, onEnd: onEnd)
        }
        let stale: CaptureSession? = state.withLock { s in
            if s.readyState == .ended { return session }
            let old = s.session
            s.session = session
            return old
        }
        stale?.stop()
        if readyState == .live { indicator.update(PermissionName(source.kind), label: label, state: .capturing) }
    }

    private func handle(_ frame: VideoFrame) {
        let out: (VideoShaper, Bool, [@Sendable (VideoFrame) -> Void])? = state.withLock { s in
            // Frames of a mode no longer selected (before a reopen) are dropped.
            guard s.readyState == .live, var dec = s.decimator, let shaper = s.shaper,
                  frame.width == shaper.nativeWidth, frame.height == shaper.nativeHeight else { return nil }
            let admit = dec.admit(frame.timestamp)
            s.decimator = dec
            guard admit, !s.videoSinks.isEmpty else { return nil }
            return (shaper, s.enabled, s.videoSinkList)
        }
        guard let (shaper, enabled, sinks) = out else { return }
        // Shaping runs outside the state's lock, on the device's thread.
        let f = enabled ? shaped.withLock { shaper.shape(frame, pool: &$0) }
            : VideoFrame.black(width: shaper.width, height: shaper.height, timestamp: frame.timestamp)
        for sink in sinks { sink(f) }
    }

    private func handle(_ frame: AudioFrame) {
        let (sinks, enabled, processing): ([@Sendable (AudioFrame) -> Void], Bool, MicrophoneProcessing?) = state.withLock { s in
            s.readyState == .live ? (s.audioSinkList, s.enabled, s.processing) : ([], true, nil)
        }
        guard !sinks.isEmpty else { return }
        var out = frame
        // Outside the lock, on the device's thread; while disabled too, so the echo
        // canceller stays adapted for when the track is enabled again.
        processing?.process(&out)
        if !enabled { out.samples = [Int16](repeating: 0, count: frame.samples.count) }
        for sink in sinks { sink(out) }
    }

    private func setEnabled(_ on: Bool) {
        enum Action { case none, scheduleRelease, reopen, cancelTimer }
        let (action, timer, filler): (Action, (any CapturePacing)?, (any CapturePacing)?) = state.withLock { s in
            guard s.readyState == .live, s.enabled != on else { return (.none, nil, nil) }
            s.enabled = on
            let timer = s.graceTimer
            s.graceTimer = nil
            guard s.capturing else { return (.none, timer, nil) }
            if !on { return (.scheduleRelease, timer, nil) }
            if s.session == nil {
                let filler = s.filler
                s.filler = nil
                return (.reopen, timer, filler)
            }
            return (.cancelTimer, timer, nil)
        }
        timer?.stop()
        filler?.stop()
        switch action {
        case .none, .cancelTimer: break
        case .scheduleRelease:
            let grace = UInt64(max(0, gracePeriod) * 1e9)
            let t = pacer.start(interval: max(grace, 1)) { [weak self] n, _ in
                if n == 0 { return true }
                self?.releaseForDisabled()
                return false
            }
            state.withLock { s in
                if s.enabled || s.readyState == .ended { t.stop() } else { s.graceTimer = t }
            }
        case .reopen:
            do { try openDevice() } catch {
                deviceEnded(error)
            }
        }
    }

    /// The grace period ran out while disabled: release the device, keep the permission, and
    /// keep the stream going with black frames or silence.
    private func releaseForDisabled() {
        let session: CaptureSession? = state.withLock { s in
            guard !s.enabled, s.readyState == .live else { return nil }
            let old = s.session
            s.session = nil
            s.graceTimer = nil
            return old
        }
        guard let session else { return }
        session.stop()
        indicator.update(PermissionName(source.kind), label: label, state: .paused)
        let settings = getSettings()
        let filler: any CapturePacing
        switch source {
        case .video:
            let fps = max(settings.frameRate ?? 30, 0.1)
            filler = pacer.start(interval: UInt64(1e9 / fps)) { [weak self] _, deadline in
                guard let self else { return false }
                // The size is read each time: applyConstraints may change it while released.
                let (sinks, w, h): ([@Sendable (VideoFrame) -> Void], Int, Int) = self.state.withLock { s in
                    (s.readyState == .live && !s.enabled ? s.videoSinkList : [],
                     s.settings.width ?? 640, s.settings.height ?? 480)
                }
                let black = VideoFrame.black(width: w, height: h, timestamp: deadline)
                for sink in sinks { sink(black) }
                return true
            }
        case .audio:
            let rate = settings.sampleRate ?? 48000, ch = settings.channelCount ?? 1
            filler = pacer.start(interval: 10_000_000) { [weak self] _, deadline in
                guard let self else { return false }
                let sinks: [@Sendable (AudioFrame) -> Void] = self.state.withLock { s in
                    s.readyState == .live && !s.enabled ? s.audioSinkList : []
                }
                let silence = AudioFrame(sampleRate: rate, channelCount: ch, samples: [Int16](repeating: 0, count: rate / 100 * ch), timestamp: deadline)
                for sink in sinks { sink(silence) }
                return true
            }
        }
        let keep = state.withLock { s in
            if s.enabled || s.readyState == .ended || s.session != nil { return false }
            s.filler = filler
            return true
        }
        if !keep { filler.stop() }
    }

    // MARK: ending

    /// stop(): ends the track and releases the device. Does not fire `ended`.
    public func stop() { end(nil, fire: false) }

    private func deviceEnded(_ error: MediaStreamError?) {
        end(error ?? MediaStreamError(.notReadableError, "\(label) stopped delivering"), fire: true)
    }

    private func end(_ error: MediaStreamError?, fire: Bool) {
        let taken: (CaptureSession?, (any CapturePacing)?, (any CapturePacing)?, [@Sendable () -> Void], [@Sendable () -> Void], Bool, MicrophoneProcessing?)? = state.withLock { s in
            guard s.readyState == .live else { return nil }
            s.readyState = .ended
            s.endedByDevice = error
            let r = (s.session, s.filler, s.graceTimer, Array(s.endSinks.values), Array(s.finishers.values), s.capturing, s.processing)
            s.session = nil; s.filler = nil; s.graceTimer = nil; s.processing = nil
            s.videoSinks = [:]; s.audioSinks = [:]; s.endSinks = [:]; s.finishers = [:]
            return r
        }
        // The processing goes with the track (its canceller stops taking the far end),
        // released out of the lock.
        guard let (session, filler, timer, endSinks, finishers, capturing, _) = taken else { return }
        session?.stop()
        filler?.stop()
        timer?.stop()
        if capturing { indicator.update(PermissionName(source.kind), label: label, state: .off) }
        if fire { for h in endSinks { h() } }
        for f in finishers { f() }
    }

    // MARK: applyConstraints

    /// applyConstraints (§"Constrainable Pattern", the ApplyConstraints algorithm): runs
    /// SelectSettings over this track's device only. On failure the constraints and settings
    /// stay as they were and the error names the constraint. A new native mode reopens the
    /// device if it is open; new processing settings take effect from the next frame.
    public func applyConstraints(_ newConstraints: MediaTrackConstraints = MediaTrackConstraints()) async throws(MediaStreamError) {
        let constraints = newConstraints.applicable(to: source.kind)
        let candidates: [SettingsCandidate]
        switch source {
        case .video(let d): candidates = Candidates.video([d], constraints: constraints)
        case .audio(let d): candidates = Candidates.audio([d], constraints: constraints)
        }
        guard readyState == .live else {
            // An ended track keeps no source to constrain; the spec resolves with no change.
            return
        }
        switch SelectSettings.run(constraints, candidates: candidates, kind: source.kind) {
        case .overconstrained(let name):
            throw MediaStreamError.overconstrained(name, name.isEmpty
                ? "\(label) cannot satisfy these constraints together; the track keeps its settings"
                : "\(label) cannot satisfy the \(name) constraint (capabilities: \(getCapabilities()[ConstrainableProperty(rawValue: name) ?? .width]?.json.serialized ?? "none")); the track keeps its settings")
        case .selected(let chosen):
            // Made out of the lock (the library allocates); the same processing is kept.
            let current = state.withLock { $0.processing }
            let processing = MicrophoneProcessing.make(for: chosen.settings, mode: chosen.audioMode, options: processingOptions, reusing: current)
            let (reopen, replaced): (CaptureSession?, MicrophoneProcessing?) = state.withLock { s in
                guard s.readyState == .live else { return (nil, nil) }
                let modeChanged = s.candidate.videoMode != chosen.videoMode || s.candidate.audioMode != chosen.audioMode
                s.candidate = chosen
                s.settings = chosen.settings
                s.constraints = constraints
                let replaced = s.processing
                s.processing = processing
                MediaStreamTrack.configure(&s)
                guard modeChanged, let old = s.session else { return (nil, replaced) }
                s.session = nil
                return (old, replaced)
            }
            withExtendedLifetime(replaced) {}
            if let reopen {
                reopen.stop()
                do { try openDevice() } catch { deviceEnded(error); throw error }
            }
        }
    }

    /// applyConstraints with the JSON text of a MediaTrackConstraints.
    public func applyConstraints(jsonText: String) async throws(MediaStreamError) {
        try await applyConstraints(MediaTrackConstraints(jsonText: jsonText))
    }

    static func makeId() -> String {
        var g = SystemRandomNumberGenerator()
        let hex = (0..<4).map { _ in String(g.next() as UInt32, radix: 16) }.map { String(repeating: "0", count: 8 - $0.count) + $0 }
        let s = hex.joined()
        func part(_ a: Int, _ b: Int) -> Substring { s.dropFirst(a).prefix(b - a) }
        return "\(part(0, 8))-\(part(8, 12))-\(part(12, 16))-\(part(16, 20))-\(part(20, 32))"
    }
}
