@testable import MediaCapture

/// A typical webcam: 640x480 and 1280x720 at 30 fps, crop-and-scale allowed.
func webcam(id: String = "cam0", facing: String? = "user", group: String = "g0",
            modes: [VideoMode] = [VideoMode(width: 640, height: 480, frameRate: 30), VideoMode(width: 1280, height: 720, frameRate: 30)],
            resizeModes: [String] = ["none", "crop-and-scale"], startError: MediaStreamError? = nil) -> SyntheticCamera {
    SyntheticCamera(deviceId: id, groupId: group, label: "Camera \(id)", facingMode: facing, modes: modes,
                    resizeModes: resizeModes, startError: startError)
}

/// A typical microphone in a room: 48 kHz, mono by default, processing on by default.
func microphone(id: String = "mic0", startError: MediaStreamError? = nil) -> SyntheticMicrophone {
    SyntheticMicrophone(deviceId: id, groupId: "g0", label: "Mic \(id)",
                        capabilities: AudioDeviceCapabilities(sampleRates: [48000], sampleSizes: [16], channelCounts: [1, 2]),
                        defaultMode: AudioMode(sampleRate: 48000, channelCount: 1), processingDefaults: .on, startError: startError)
}

func devices(video: [any VideoCaptureDevice] = [webcam()], audio: [any AudioCaptureDevice] = [microphone()],
             permissions: any PermissionBroker = StaticPermissions.allowAll,
             indicator: any CaptureIndicator = SilentCaptureIndicator(),
             options: MediaDevices.Options = .init()) -> MediaDevices {
    MediaDevices(videoDevices: video, audioDevices: audio, permissions: permissions, indicator: indicator, options: options)
}

/// getUserMedia without opening devices; returns the settings or the error.
func select(_ json: String, _ media: MediaDevices = devices()) async -> Result<(video: MediaTrackSettings?, audio: MediaTrackSettings?), MediaStreamError> {
    do {
        let stream = try await media.getUserMedia(jsonText: json, startCapture: false)
        defer { for t in stream.getTracks() { t.stop() } }
        return .success((stream.getVideoTracks().first?.getSettings(), stream.getAudioTracks().first?.getSettings()))
    } catch {
        return .failure(error)
    }
}

func video(_ json: String, _ media: MediaDevices = devices()) async -> MediaTrackSettings? {
    if case .success(let s) = await select(json, media) { return s.video }
    return nil
}

func audio(_ json: String, _ media: MediaDevices = devices()) async -> MediaTrackSettings? {
    if case .success(let s) = await select(json, media) { return s.audio }
    return nil
}

func failure(_ json: String, _ media: MediaDevices = devices()) async -> MediaStreamError? {
    if case .failure(let e) = await select(json, media) { return e }
    return nil
}

/// Records indicator changes.
final class RecordingIndicator: CaptureIndicator {
    let events = Mutex<[(PermissionName, IndicatorState)]>([])
    func update(_ name: PermissionName, label: String, state: IndicatorState) {
        events.withLock { $0.append((name, state)) }
    }
    var states: [IndicatorState] { events.withLock { $0.map(\.1) } }
}

import Synchronization
