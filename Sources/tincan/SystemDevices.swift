import LinuxCapture
import MediaCapture

/// The devices used when no fake or file device is asked for: the V4L2 cameras and ALSA
/// microphones of this machine. With none, getUserMedia rejects NotFoundError with a message
/// suggesting --fake-devices.
func systemDevices() -> (video: [any VideoCaptureDevice], audio: [any AudioCaptureDevice]) {
    LinuxDevices.enumerate()
}
