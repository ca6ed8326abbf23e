import CALSA
import MediaCapture
import MediaPrimitives

/// An ALSA capture PCM opened through alsa-lib: a card's `hw:` device, `default`, or any PCM
/// the configuration defines (the tests use the `file` plugin as a virtual microphone).
public struct ALSAMicrophone: AudioCaptureDevice {
    /// The alsa-lib PCM name ("hw:CARD=Loopback,DEV=1", "default", "filemic").
    public let pcmName: String
    public let deviceId: String
    public let groupId: String
    public let label: String
    public let capabilities: AudioDeviceCapabilities
    public let defaultMode: AudioMode

    public init(pcmName: String, label: String? = nil, groupId: String? = nil, capabilities: AudioDeviceCapabilities? = nil) {
        self.pcmName = pcmName
        self.label = label ?? pcmName
        deviceId = DeviceIdentity.hash("alsa|" + pcmName)
        self.groupId = groupId ?? DeviceIdentity.hash("group|alsa|" + pcmName)
        let caps: AudioDeviceCapabilities
        if let capabilities {
            caps = capabilities
        } else if let probed = ALSAPCM.capabilities(name: pcmName) {
            caps = Self.capabilities(rates: probed.rates, channels: probed.channels)
        } else {
            caps = Self.capabilities(rates: [48000], channels: [1, 2])
        }
        self.capabilities = caps
        defaultMode = Self.preferredMode(caps)
    }

    /// Delivered samples are 16-bit whatever the device's format. The device itself does no
    /// echo cancellation, gain control or noise suppression: the track does them (MediaCapture's
    /// MicrophoneProcessing, in the rates and channel counts the library takes), so each can be
    /// on or off.
    static func capabilities(rates: [Int], channels: [Int]) -> AudioDeviceCapabilities {
        AudioDeviceCapabilities(
            sampleRates: rates, sampleSizes: [16], channelCounts: channels,
            echoCancellation: [true, false], autoGainControl: [true, false], noiseSuppression: [true, false],
            latencies: [0.01])
    }

    /// 48 kHz (what Opus runs at) when offered, else the highest rate; mono when offered.
    static func preferredMode(_ caps: AudioDeviceCapabilities) -> AudioMode {
        let rate = caps.sampleRates.contains(48000) ? 48000 : (caps.sampleRates.max() ?? 48000)
        let channels = caps.channelCounts.contains(1) ? 1 : (caps.channelCounts.min() ?? 1)
        return AudioMode(sampleRate: rate, sampleSize: 16, channelCount: channels)
    }

    public func start(
        mode: AudioMode,
        onFrame: @escaping @Sendable (AudioFrame) -> Void,
        onEnd: @escaping CaptureEndHandler
    ) throws(MediaStreamError) -> CaptureSession {
        try startCapture(mode: mode, onFrame: onFrame, onEnd: onEnd)
    }

    /// `start` with the concrete session type (overrun count, negotiated parameters).
    public func startCapture(
        mode: AudioMode,
        onFrame: @escaping @Sendable (AudioFrame) -> Void,
        onEnd: @escaping CaptureEndHandler
    ) throws(MediaStreamError) -> ALSACaptureSession {
        let pcm = try ALSAPCM.open(name: pcmName, stream: SND_PCM_STREAM_CAPTURE, label: label)
        try pcm.configure(rate: mode.sampleRate, channels: mode.channelCount, label: label)
        return try ALSACaptureSession.start(pcm: pcm, label: label, onFrame: onFrame, onEnd: onEnd)
    }
}
