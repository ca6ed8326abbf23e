/// MediaDevices (getusermedia.html §"MediaDevices"): the devices it is given (the Linux
/// devices, fake ones, or files), getUserMedia over them, permission before anything opens.
public final class MediaDevices: Sendable {
    public struct Options: Sendable {
        /// Seconds a disabled track keeps its device open before releasing it.
        public var disabledGracePeriod: Double
        /// False when capture is disabled by policy: getUserMedia rejects with SecurityError
        /// (§"getUserMedia", the "allowed to use" feature check).
        public var captureAllowedByPolicy: Bool
        public init(disabledGracePeriod: Double = 3, captureAllowedByPolicy: Bool = true) {
            self.disabledGracePeriod = disabledGracePeriod
            self.captureAllowedByPolicy = captureAllowedByPolicy
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
    public func getUserMedia(jsonText: String, startCapture: Bool = true) async throws(MediaStreamError) -> MediaStream {
        try await getUserMedia(MediaStreamConstraints(jsonText: jsonText), startCapture: startCapture)
    }

    /// getUserMedia (§"getUserMedia()"), in the specification's order: TypeError when no
    /// media is requested; SecurityError when capture is disabled by policy; NotFoundError
    /// when a requested kind has no device; OverconstrainedError (before any prompt) when no
    /// device can satisfy the required constraints; NotAllowedError without permission;
    /// NotReadableError when a device cannot be opened. With `startCapture: false` the
    /// settings are chosen and permission checked, but no device is opened (`tincan select`).
    public func getUserMedia(_ constraints: MediaStreamConstraints, startCapture: Bool = true) async throws(MediaStreamError) -> MediaStream {
        guard constraints.video != nil || constraints.audio != nil else {
            throw MediaStreamError(.typeError, "no media requested: ask for {\"video\": true} and/or {\"audio\": true}")
        }
        guard options.captureAllowedByPolicy else {
            throw MediaStreamError(.securityError, "camera and microphone capture is disabled by policy on this system")
        }
        var chosen: [(TrackSource, SettingsCandidate, MediaTrackConstraints)] = []
        if let video = constraints.video?.applicable(to: .videoinput) {
            guard !videoDevices.isEmpty else {
                throw MediaStreamError(.notFoundError, "no camera found; try --fake-devices, --video-file F.y4m or --devices-file F.json")
            }
            switch SelectSettings.run(video, candidates: Candidates.video(videoDevices, constraints: video), kind: .videoinput) {
            case .overconstrained(let name): throw overconstrained(name, kind: .videoinput)
            case .selected(let c): chosen.append((.video(videoDevices[c.deviceIndex]), c, video))
            }
        }
        if let audio = constraints.audio?.applicable(to: .audioinput) {
            guard !audioDevices.isEmpty else {
                throw MediaStreamError(.notFoundError, "no microphone found; try --fake-devices, --audio-file F.wav or --devices-file F.json")
            }
            switch SelectSettings.run(audio, candidates: Candidates.audio(audioDevices, constraints: audio), kind: .audioinput) {
            case .overconstrained(let name): throw overconstrained(name, kind: .audioinput)
            case .selected(let c): chosen.append((.audio(audioDevices[c.deviceIndex]), c, audio))
            }
        }
        let tracks = chosen.map { source, candidate, c in
            MediaStreamTrack(source: source, candidate: candidate, constraints: c, indicator: indicator,
                             gracePeriod: options.disabledGracePeriod)
        }
        var labels: [PermissionName: String] = [:]
        for t in tracks { labels[PermissionName(t.deviceKind)] = t.label }
        try await permissions.request(PermissionRequest(names: tracks.map { PermissionName($0.deviceKind) }, deviceLabels: labels))
        if startCapture {
            for (i, track) in tracks.enumerated() {
                do { try track.startCapture() } catch {
                    for t in tracks[...i] { t.stop() }
                    switch error.name {
                    case .notReadableError, .notAllowedError, .abortError: throw error
                    default: throw MediaStreamError(.abortError, "\(track.label) could not start: \(error.message)")
                    }
                }
            }
        }
        return MediaStream(tracks: tracks)
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
