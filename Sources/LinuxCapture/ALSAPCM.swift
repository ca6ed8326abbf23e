import CALSA
import MediaCapture

#if canImport(Glibc)
import Glibc
#endif

/// The one owner of an open alsa-lib PCM handle; deinit closes it.
final class ALSAPCM {
    let handle: OpaquePointer
    let name: String
    /// The negotiated parameters.
    private(set) var sampleRate = 0
    private(set) var channelCount = 0
    /// Bytes per sample on the wire: 2 (S16_LE) or 4 (S32_LE, converted to 16 bits on read).
    private(set) var sampleBytes = 2
    private(set) var periodFrames = 0
    private(set) var bufferFrames = 0
    private var isOpen = true

    private init(handle: OpaquePointer, name: String) {
        self.handle = handle
        self.name = name
    }

    deinit { close() }

    func close() {
        guard isOpen else { return }
        isOpen = false
        snd_pcm_close(handle)
    }

    static func error(_ code: Int32, _ what: String, name: String, label: String) -> MediaStreamError {
        let errorCode = -code
        switch errorCode {
        case EBUSY:
            return MediaStreamError(.notReadableError, "\(label) (\(name)) is in use by another application")
        case EACCES, EPERM:
            return MediaStreamError(.notReadableError, "permission denied opening \(label) (\(name))")
        case ENOENT, ENODEV, ENXIO:
            // alsa-lib resolves "CARD=<id>" by opening each card's control device; when the
            // user may not, the card looks absent. Say what the real problem is.
            if let denied = deniedSoundNode() {
                return MediaStreamError(.notReadableError, "permission denied opening \(label) (\(name)): \(denied) is not accessible to this user (the audio group?)")
            }
            return MediaStreamError(.notReadableError, "\(label) (\(name)) is not present")
        default:
            let text = snd_strerror(code).map { String(cString: $0) } ?? "error \(code)"
            return MediaStreamError(.notReadableError, "\(label) (\(name)): \(what): \(text)")
        }
    }

    /// The first /dev/snd node this process may not read and write, if any.
    static func deniedSoundNode() -> String? {
        guard let dir = opendir("/dev/snd") else { return nil }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let node = CText.string(fromTuple: entry.pointee.d_name)
            guard node.hasPrefix("control") || node.hasPrefix("pcm") else { continue }
            let path = "/dev/snd/" + node
            if access(path, R_OK | W_OK) != 0 && errno == EACCES { return path }
        }
        return nil
    }

    static func open(name: String, stream: snd_pcm_stream_t, label: String) throws(MediaStreamError) -> ALSAPCM {
        var pcm: OpaquePointer?
        let rc = snd_pcm_open(&pcm, name, stream, SND_PCM_NONBLOCK)
        guard rc >= 0, let pcm else { throw error(rc, "snd_pcm_open", name: name, label: label) }
        return ALSAPCM(handle: pcm, name: name)
    }

    /// hw_params: interleaved S16_LE (or S32_LE), `channels`, exactly `rate`, 10 ms periods
    /// and a ring of `periods` of them; then sw_params set here rather than by
    /// snd_pcm_set_params, whose capture start_threshold (the whole buffer) never starts a
    /// real device for a reader of smaller chunks (docs/real-devices.md).
    func configure(rate: Int, channels: Int, periods: Int = 8, label: String) throws(MediaStreamError) {
        var hw: OpaquePointer?
        guard snd_pcm_hw_params_malloc(&hw) == 0, let hw else {
            throw MediaStreamError(.notReadableError, "\(label): out of memory")
        }
        defer { snd_pcm_hw_params_free(hw) }
        func check(_ rc: Int32, _ what: String) throws(MediaStreamError) {
            if rc < 0 { throw ALSAPCM.error(rc, what, name: name, label: label) }
        }
        try check(snd_pcm_hw_params_any(handle, hw), "hw_params_any")
        try check(snd_pcm_hw_params_set_access(handle, hw, SND_PCM_ACCESS_RW_INTERLEAVED), "set_access")
        if snd_pcm_hw_params_set_format(handle, hw, SND_PCM_FORMAT_S16_LE) == 0 {
            sampleBytes = 2
        } else {
            try check(snd_pcm_hw_params_set_format(handle, hw, SND_PCM_FORMAT_S32_LE), "set_format S16_LE/S32_LE")
            sampleBytes = 4
        }
        try check(snd_pcm_hw_params_set_channels(handle, hw, UInt32(channels)), "set_channels \(channels)")
        try check(snd_pcm_hw_params_set_rate(handle, hw, UInt32(rate), 0), "set_rate \(rate)")
        var period = snd_pcm_uframes_t(rate / 100)
        var dir: Int32 = 0
        try check(snd_pcm_hw_params_set_period_size_near(handle, hw, &period, &dir), "set_period_size")
        var buffer = period * snd_pcm_uframes_t(periods)
        try check(snd_pcm_hw_params_set_buffer_size_near(handle, hw, &buffer), "set_buffer_size")
        try check(snd_pcm_hw_params(handle, hw), "hw_params")
        snd_pcm_hw_params_get_period_size(hw, &period, &dir)
        snd_pcm_hw_params_get_buffer_size(hw, &buffer)
        sampleRate = rate
        channelCount = channels
        periodFrames = Int(period)
        bufferFrames = Int(buffer)

        var sw: OpaquePointer?
        guard snd_pcm_sw_params_malloc(&sw) == 0, let sw else {
            throw MediaStreamError(.notReadableError, "\(label): out of memory")
        }
        defer { snd_pcm_sw_params_free(sw) }
        try check(snd_pcm_sw_params_current(handle, sw), "sw_params_current")
        // Capture starts on the first read; playback once a period is queued.
        let isCapture = snd_pcm_stream(handle) == SND_PCM_STREAM_CAPTURE
        try check(snd_pcm_sw_params_set_start_threshold(handle, sw, isCapture ? 1 : period), "start_threshold")
        try check(snd_pcm_sw_params_set_avail_min(handle, sw, period), "avail_min")
        try check(snd_pcm_sw_params_set_stop_threshold(handle, sw, buffer), "stop_threshold")
        try check(snd_pcm_sw_params(handle, sw), "sw_params")
        try check(snd_pcm_prepare(handle), "prepare")
    }

    /// What `name` supports for capture: rates from a list of usual ones, channel counts 1-8.
    /// Nil when the PCM cannot be opened (busy, absent).
    static func capabilities(name: String) -> (rates: [Int], channels: [Int])? {
        var pcm: OpaquePointer?
        guard snd_pcm_open(&pcm, name, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK) >= 0, let pcm else {
            return nil
        }
        defer { snd_pcm_close(pcm) }
        var hw: OpaquePointer?
        guard snd_pcm_hw_params_malloc(&hw) == 0, let hw else { return nil }
        defer { snd_pcm_hw_params_free(hw) }
        guard snd_pcm_hw_params_any(pcm, hw) >= 0 else { return nil }
        guard snd_pcm_hw_params_test_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED) == 0 else { return nil }
        guard snd_pcm_hw_params_test_format(pcm, hw, SND_PCM_FORMAT_S16_LE) == 0
            || snd_pcm_hw_params_test_format(pcm, hw, SND_PCM_FORMAT_S32_LE) == 0
        else { return nil }
        let rates = [8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000].filter {
            snd_pcm_hw_params_test_rate(pcm, hw, UInt32($0), 0) == 0
        }
        let channels = (1...8).filter { snd_pcm_hw_params_test_channels(pcm, hw, UInt32($0)) == 0 }
        guard !rates.isEmpty, !channels.isEmpty else { return nil }
        return (rates, channels)
    }
}
