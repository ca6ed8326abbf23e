import MediaCapture

/// The entry point for real devices: what `tincan devices` lists and what MediaDevices
/// chooses among.
public enum LinuxDevices {
    /// Every V4L2 camera (`/dev/video*` capture nodes, metadata and output nodes skipped) and
    /// every ALSA capture PCM (`default`, then each card's `hw:` and `plughw:` capture
    /// devices; the camera and microphone of one USB device share a groupId). Probing
    /// opens each device briefly; a machine without either simply gives empty lists.
    public static func enumerate() -> (video: [any VideoCaptureDevice], audio: [any AudioCaptureDevice]) {
        (V4L2Camera.enumerate(), ALSAEnumeration.microphones())
    }
}
