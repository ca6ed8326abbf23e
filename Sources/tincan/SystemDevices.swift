import MediaCapture

/// The devices used when no fake or file device is asked for: the Linux cameras and
/// microphones.
/// TODO(LinuxCapture): return the V4L2 cameras and ALSA microphones that LinuxCapture finds.
/// Until that is wired, there are none, and getUserMedia rejects NotFoundError with a
/// message suggesting --fake-devices.
func systemDevices() -> (video: [any VideoCaptureDevice], audio: [any AudioCaptureDevice]) {
    ([], [])
}
