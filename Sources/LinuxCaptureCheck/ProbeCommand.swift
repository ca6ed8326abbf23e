import LinuxCapture
import MediaCapture
import MediaPrimitives

#if canImport(Glibc)
import Glibc
#endif

/// `linux-capture-check probe PCM...`: opens each ALSA PCM for 0.3 s at its default mode and
/// prints what it offered and delivered (a diagnostic, not a check).
func probe(_ names: [String]) {
    for name in names {
        let mic = ALSAMicrophone(pcmName: name)
        print("probe \(name): rates \(mic.capabilities.sampleRates) channels \(mic.capabilities.channelCounts) default \(mic.defaultMode)")
        let collector = Collector<AudioFrame>()
        do {
            let session = try mic.start(mode: mic.defaultMode, onFrame: { collector.add($0) }, onEnd: { collector.end($0) })
            sleepSeconds(0.3)
            session.stop()
            print("probe \(name): \(collector.count) chunks in 0.3 s, ended \(String(describing: collector.ended))")
        } catch {
            print("probe \(name): \(error)")
        }
    }
}

/// `linux-capture-check permission`: drops root and opens the camera and the microphone,
/// which must reject with NotReadableError naming the permission problem.
func permissionChecks(_ r: CheckRunner) {
    let devices = LinuxDevices.enumerate()  // enumerated as root, opened as nobody
    guard setgid(65534) == 0, setuid(65534) == 0 else {
        r.emit("FAIL permission: cannot drop root")
        return
    }
    r.run("v4l2.permission: a camera node the user may not open rejects with NotReadableError") {
        guard let camera = devices.video.first, let mode = camera.modes.first else { throw CheckFailure("no camera") }
        do {
            let session = try camera.start(mode: mode, onFrame: { _ in }, onEnd: { _ in })
            session.stop()
            throw CheckFailure("opened \(camera.label) without permission")
        } catch let error as MediaStreamError {
            try require(error.name == .notReadableError && error.message.contains("permission denied"), "got \(error)")
            return error.description
        }
    }
    r.run("alsa.permission: a sound device the user may not open rejects with NotReadableError") {
        let mic = ALSAMicrophone(pcmName: "hw:CARD=Loopback,DEV=1", label: "Loopback capture")
        do {
            let session = try mic.start(mode: AudioMode(sampleRate: 48000, channelCount: 1), onFrame: { _ in }, onEnd: { _ in })
            session.stop()
            throw CheckFailure("opened \(mic.label) without permission")
        } catch let error as MediaStreamError {
            try require(error.name == .notReadableError && error.message.contains("permission denied"), "got \(error)")
            return error.description
        }
    }
}
