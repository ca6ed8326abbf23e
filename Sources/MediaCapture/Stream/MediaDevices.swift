/// MediaDevices (getusermedia.html §"MediaDevices"): the devices it is given (the Linux
/// devices, fake ones, or files), getUserMedia over them, permission before anything opens.
///
///     let media = MediaDevices(videoDevices: [SyntheticCamera()], audioDevices: [SyntheticMicrophone()],
///                              permissions: StaticPermissions(granted: [.camera, .microphone]))
///     let stream = try await media.getUserMedia(jsonText: #"{"video": {"width": 1280, "frameRate": 15}, "audio": true}"#)
///     let video = stream.getVideoTracks()[0]
///     video.addVideoSink { frame in /* I420, as getSettings() says, on the device's thread */ }
///     for await frame in stream.getAudioTracks()[0].audioFrames() { /* 10 ms of Int16 PCM */ }
public final class MediaDevices: Sendable {
    public struct Options: Sendable {
        /// Seconds a disabled track keeps its device open before releasing it.
        public var disabledGracePeriod: Double
        /// False when capture is disabled by policy: getUserMedia rejects with SecurityError
        /// (§"getUserMedia", the "allowed to use" feature check).
        public var captureAllowedByPolicy: Bool
        /// The clock of a track's own timers (the grace period of a disabled track, and the
        /// black frames or silence after it): real time, or a test's simulated clock.
        public var pacer: any CapturePacer
        /// The microphone tracks' echoCancellation, noiseSuppression and autoGainControl:
        /// where the far end comes from (the playout, by default).
        public var audioProcessing: AudioProcessingOptions
        public init(disabledGracePeriod: Double = 3, captureAllowedByPolicy: Bool = true,
                    pacer: any CapturePacer = RealTimePacer(), audioProcessing: AudioProcessingOptions = AudioProcessingOptions()) {
            self.disabledGracePeriod = disabledGracePeriod
            self.captureAllowedByPolicy = captureAllowedByPolicy
            self.pacer = pacer
            self.audioProcessing = audioProcessing
        }
    }

    public let videoDevices: [any VideoCaptureDevice]
    public let audioDevices: [any AudioCaptureDevice]
    public let permissions: any PermissionBroker
    public let indicator: any CaptureIndicator
    public let options: Options

    /// The first device of each kind is the default one.
    public init(videoDevices: [any VideoCaptureDevice], audioDevices: [any AudioCaptureDevice],
                permissions: any PermissionBroker, indicator: any CaptureIndicator = StderrCaptureIndicator(),
                options: Options = Options()) {
        self.videoDevices = videoDevices
        self.audioDevices = audioDevices
        self.permissions = permissions
        self.indicator = indicator
        self.options = options
    }

    /// enumerateDevices(), with each device's capabilities.
    public func enumerateDevices() -> [MediaDeviceInfo] {
        videoDevices.map { MediaDeviceInfo(deviceId: $0.deviceId, kind: .videoinput, label: $0.label, groupId: $0.groupId, capabilities: .of($0)) }
        + audioDevices.map { MediaDeviceInfo(deviceId: $0.deviceId, kind: .audioinput, label: $0.label, groupId: $0.groupId, capabilities: .of($0)) }
    }

    public func getSupportedConstraints() -> MediaTrackSupportedConstraints { MediaTrackSupportedConstraints() }

    /// getUserMedia with the JSON text a page would pass.
    public func getUserMedia(jsonText: String, startCapture: Bool = true,
                             beforeCapture: (@Sendable (MediaStreamTrack) -> Void)? = nil) async throws(MediaStreamError) -> MediaStream {
        try await getUserMedia(MediaStreamConstraints(jsonText: jsonText), startCapture: startCapture, beforeCapture: beforeCapture)
    }

    /// getUserMedia (§"getUserMedia()"), in the specification's order: TypeError when no
    /// media is requested; SecurityError when capture is disabled by policy; then per kind
    /// NotFoundError when it has no device, TypeError for a required constraint outside the
    /// allowed required constraints for device selection, OverconstrainedError (before any
    /// prompt) when no device can satisfy the required constraints; NotAllowedError without
    /// permission; NotReadableError when a device cannot be opened. While permission for a
    /// requested kind is denied, NotFoundError and OverconstrainedError become NotAllowedError
    /// (the NotFound and Constraint Failure steps: "getUserMedia specific failure" is not
    /// allowed), so a denied caller learns nothing about the devices. With
    /// `startCapture: false` the settings are chosen and permission checked, but no device is
    /// opened (`tincan select`). `beforeCapture` sees each track just before its device opens
    /// (again for the next device when one fails), so a recorder can add its sink before the
    /// first frame: frames that reach a track without sinks go nowhere.
    public func getUserMedia(_ constraints: MediaStreamConstraints, startCapture: Bool = true,
                             beforeCapture: (@Sendable (MediaStreamTrack) -> Void)? = nil) async throws(MediaStreamError) -> MediaStream {
        guard constraints.video != nil || constraints.audio != nil else {
            throw MediaStreamError(.typeError, "no media requested: ask for {\"video\": true} and/or {\"audio\": true}")
        }
        guard options.captureAllowedByPolicy else {
            throw MediaStreamError(.securityError, "camera and microphone capture is disabled by policy on this system")
        }
        var requests: [(MediaDeviceKind, MediaTrackConstraints)] = []
        if let video = constraints.video { requests.append((.videoinput, video.applicable(to: .videoinput))) }
        if let audio = constraints.audio { requests.append((.audioinput, audio.applicable(to: .audioinput))) }
        let denied = requests.map { PermissionName($0.0) }.filter { permissions.state($0) == .denied }
        func specificFailure(_ error: MediaStreamError) -> MediaStreamError {
            guard let name = denied.first else { return error }
            return MediaStreamError(.notAllowedError, "permission to use the \(name.rawValue) was denied")
        }
        // Device selection per kind, before any permission prompt.
        var tracks: [MediaStreamTrack] = []
        for (kind, c) in requests {
            if kind == .videoinput, videoDevices.isEmpty {
                throw specificFailure(MediaStreamError(.notFoundError, "no camera found: this MediaDevices has no video input device"))
            }
            if kind == .audioinput, audioDevices.isEmpty {
                throw specificFailure(MediaStreamError(.notFoundError, "no microphone found: this MediaDevices has no audio input device"))
            }
            let allowed = ConstrainableProperty.allowedRequiredForDeviceSelection
            if let p = c.basic.members.first(where: { !allowed.contains($0.0) && $0.1.isRequired(bareIsExact: false) })?.0 {
                throw MediaStreamError(.typeError, "\(p.rawValue) cannot be a required constraint (exact, min or max) in getUserMedia: it is not one of the allowed required constraints for device selection; ask for it as ideal or in advanced, or require it afterwards with applyConstraints")
            }
            switch select(kind, c, excluding: []) {
            case .overconstrained(let name): throw specificFailure(overconstrained(name, kind: kind))
            case .selected(let candidate): tracks.append(makeTrack(kind, candidate, c))
            }
        }
        var labels: [PermissionName: String] = [:]
        for t in tracks { labels[PermissionName(t.deviceKind)] = t.label }
        try await permissions.request(PermissionRequest(names: tracks.map { PermissionName($0.deviceKind) }, deviceLabels: labels))
        guard startCapture else { return MediaStream(tracks: tracks) }

        // Open the devices. A device that fails is removed and the next best one of its kind
        // tried; when none is left: NotReadableError for a busy or locked device, AbortError
        // for any other failure (getUserMedia, the steps after "granted").
        var started: [MediaStreamTrack] = []
        for (i, (kind, c)) in requests.enumerated() {
            var track = tracks[i]
            var excluded = Set<Int>()
            var failures: [MediaStreamError] = []
            while true {
                do {
                    beforeCapture?(track)
                    try track.startCapture()
                    started.append(track)
                    break
                } catch {
                    failures.append(error)
                    excluded.insert(track.deviceIndex)
                    track.stop()
                    if case .selected(let next) = select(kind, c, excluding: excluded) {
                        track = makeTrack(kind, next, c)
                        continue
                    }
                    for t in started { t.stop() }
                    let detail = failures.map { $0.message }.joined(separator: "; ")
                    if failures.contains(where: { $0.name == .notReadableError }) {
                        throw MediaStreamError(.notReadableError, detail + " (close the other program using it, or choose another device)")
                    }
                    throw MediaStreamError(.abortError, "could not start capture: \(detail)")
                }
            }
        }
        return MediaStream(tracks: started)
    }

    private func select(_ kind: MediaDeviceKind, _ c: MediaTrackConstraints, excluding: Set<Int>) -> SelectionResult {
        let all = kind == .videoinput ? Candidates.video(videoDevices, constraints: c) : Candidates.audio(audioDevices, constraints: c)
        return SelectSettings.run(c, candidates: all.filter { !excluding.contains($0.deviceIndex) }, kind: kind)
    }

    private func makeTrack(_ kind: MediaDeviceKind, _ candidate: SettingsCandidate, _ c: MediaTrackConstraints) -> MediaStreamTrack {
        let source: TrackSource = kind == .videoinput ? .video(videoDevices[candidate.deviceIndex]) : .audio(audioDevices[candidate.deviceIndex])
        return MediaStreamTrack(source: source, candidate: candidate, constraints: c, indicator: indicator,
                                gracePeriod: options.disabledGracePeriod, pacer: options.pacer, processingOptions: options.audioProcessing)
    }

    private func overconstrained(_ name: String, kind: MediaDeviceKind) -> MediaStreamError {
        let what = kind == .videoinput ? "camera" : "microphone"
        if name.isEmpty {
            return .overconstrained("", "no \(what) can satisfy all the required constraints together; relax min/max/exact values (see `tincan devices` for capabilities)")
        }
        let caps = enumerateDevices().filter { $0.kind == kind }.compactMap { info -> String? in
            guard let p = ConstrainableProperty(rawValue: name), let c = info.capabilities[p] else { return nil }
            return "\(info.label): \(c.json.serialized)"
        }
        return .overconstrained(name, "no \(what) can satisfy the \(name) constraint" + (caps.isEmpty ? "" : " (available: \(caps.joined(separator: "; ")))"))
    }
}
