import CALSA
import MediaCapture

#if canImport(Glibc)
import Glibc
#endif

/// A blocking ALSA player for interleaved 16-bit samples: what the in-VM checks use to play
/// a tone into the loopback card, and a sink for received audio.
public final class ALSAPlayback {
    private let pcm: ALSAPCM
    public var sampleRate: Int { pcm.sampleRate }
    public var channelCount: Int { pcm.channelCount }

    /// `label` names the device in errors (the PCM name by default).
    public init(pcmName: String, sampleRate: Int, channelCount: Int, label: String? = nil) throws(MediaStreamError) {
        let label = label ?? pcmName
        pcm = try ALSAPCM.open(name: pcmName, stream: SND_PCM_STREAM_PLAYBACK, label: label)
        try pcm.configure(rate: sampleRate, channels: channelCount, label: label)
        guard pcm.sampleBytes == 2 else {
            throw MediaStreamError(.notReadableError, "\(label) (\(pcmName)): playback needs S16_LE")
        }
    }

    /// Writes all of `samples` (interleaved), waiting for room; recovers from underruns.
    public func write(_ samples: [Int16]) throws(MediaStreamError) {
        let channels = pcm.channelCount
        var offset = 0
        let frames = samples.count / channels
        while offset < frames {
            let written = samples.withUnsafeBufferPointer { buf in
                Int(snd_pcm_writei(pcm.handle, buf.baseAddress! + offset * channels, snd_pcm_uframes_t(frames - offset)))
            }
            if written > 0 {
                offset += written
            } else if written == -Int(EAGAIN) || written == 0 {
                _ = snd_pcm_wait(pcm.handle, 100)
            } else if snd_pcm_recover(pcm.handle, Int32(written), 1) < 0 {
                throw ALSAPCM.error(Int32(written), "snd_pcm_writei", name: pcm.name, label: pcm.name)
            }
        }
    }

    /// Frames written and not yet played (snd_pcm_delay); nil when the device cannot say,
    /// 0 when it plays nothing in real time (the `null` plugin under `file`).
    public func queuedFrames() -> Int? {
        var delay: snd_pcm_sframes_t = 0
        guard snd_pcm_delay(pcm.handle, &delay) == 0 else { return nil }
        return max(0, Int(delay))
    }

    /// Lets what was written play out, then closes the device.
    public func drainAndClose() {
        _ = snd_pcm_nonblock(pcm.handle, 0)
        _ = snd_pcm_drain(pcm.handle)
        pcm.close()
    }
}
