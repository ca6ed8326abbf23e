import LinuxCapture
import MediaCapture
import MediaPrimitives
import Synchronization

/// Checks against snd-aloop: what is played into hw:Loopback,0,N comes back on
/// hw:Loopback,1,N.
func audioChecks(_ r: CheckRunner) {
    r.run("alsa.enumerate: the loopback card's capture PCMs are listed") {
        let mics = LinuxDevices.enumerate().audio.compactMap { $0 as? ALSAMicrophone }
        for mic in mics {
            r.emit("  info: \(mic.pcmName) \"\(mic.label)\" id \(mic.deviceId) group \(mic.groupId) rates \(mic.capabilities.sampleRates) channels \(mic.capabilities.channelCounts)")
        }
        guard let loop = mics.first(where: { $0.pcmName == "hw:CARD=Loopback,DEV=1" }) else {
            throw CheckFailure("hw:CARD=Loopback,DEV=1 not among \(mics.map(\.pcmName))")
        }
        try require(loop.label.contains("Loopback"), "label \(loop.label)")
        try require(mics.first?.pcmName == "default", "default is not listed first")
        try require(mics.contains { $0.pcmName == "plughw:CARD=Loopback,DEV=1" }, "no plughw device")
        try require(Set(mics.map(\.deviceId)).count == mics.count, "deviceIds are not unique")
        try require(loop.capabilities.sampleRates.contains(48000), "rates \(loop.capabilities.sampleRates)")
        return "\(mics.count) capture PCMs; \(loop.label)"
    }

    r.run("alsa.tone: a 440 Hz tone played into the loopback comes back at 440 Hz +/-2, in real time") {
        let mic = ALSAMicrophone(pcmName: "hw:Loopback,1,0", label: "Loopback capture")
        let collector = Collector<AudioFrame>(keep: 1000)
        let session = try mic.startCapture(
            mode: AudioMode(sampleRate: 48000, channelCount: 1),
            onFrame: { collector.add($0) }, onEnd: { collector.end($0) })
        defer { session.stop() }
        let player = try ALSAPlayback(pcmName: "hw:Loopback,0,0", sampleRate: 48000, channelCount: 1)
        var written = 0
        while written < 48000 * 3 / 2 {
            try player.write(ToneFrequency.sine(frequency: 440, sampleRate: 48000, channelCount: 1, frames: 4800, start: written))
            written += 4800
        }
        player.drainAndClose()
        _ = collector.wait(seconds: 3, until: { $0.count >= 150 })
        let frames = collector.frames
        try require(frames.count >= 140, "only \(frames.count) chunks")
        try require(session.overruns == 0, "\(session.overruns) overruns")
        // The tone is somewhere in these chunks: take the loudest second of it.
        let window = Array(frames[20..<120]).flatMap(\.samples)
        let rms = ToneFrequency.rms(window)
        try require(rms > 2000, "too quiet: rms \(format(rms, 1))")
        guard let frequency = ToneFrequency.estimate(window, sampleRate: 48000) else { throw CheckFailure("no tone found") }
        try require(abs(frequency - 440) <= 2, "measured \(format(frequency, 2)) Hz")
        let arrivals = collector.arrivals
        let span = Double(arrivals[120] - arrivals[20]) / 1e9
        try require(abs(span - 1.0) <= 0.1, "100 chunks of 10 ms took \(format(span, 3)) s")
        return "\(format(frequency, 2)) Hz, rms \(format(rms, 0)); 1 s of audio arrived over \(format(span, 3)) s"
    }

    r.run("alsa.overrun: a reader that falls behind recovers and counts the overrun") {
        let mic = ALSAMicrophone(pcmName: "hw:Loopback,1,0", label: "Loopback capture")
        let seen = Mutex(0)
        let collector = Collector<AudioFrame>(keep: 1000, onEach: { _ in
            if seen.withLock({ $0 += 1; return $0 }) == 10 { sleepSeconds(0.3) }  // 300 ms > the 80 ms ring
        })
        let session = try mic.startCapture(
            mode: AudioMode(sampleRate: 48000, channelCount: 1),
            onFrame: { collector.add($0) }, onEnd: { collector.end($0) })
        defer { session.stop() }
        let kept = collector.wait(seconds: 4, until: { $0.count >= 60 })
        try require(kept, "capture did not continue after the stall (\(collector.count) chunks, ended \(String(describing: collector.ended)))")
        try require(session.overruns >= 1, "no overrun counted")
        return "\(session.overruns) overrun(s) recovered, \(collector.count) chunks delivered"
    }

    r.run("alsa.unplug: a microphone that vanishes mid-stream ends the track with an error") {
        let mic = ALSAMicrophone(pcmName: "hw:Loopback,1,0", label: "Loopback capture")
        let collector = Collector<AudioFrame>(keep: 100)
        let session = try mic.startCapture(
            mode: AudioMode(sampleRate: 48000, channelCount: 1),
            onFrame: { collector.add($0) }, onEnd: { collector.end($0) })
        guard collector.wait(seconds: 3, until: { $0.count >= 5 }) else { throw CheckFailure("no audio") }
        let unplugged = MonotonicClockSeconds.now()
        try require(writeSysfs("/sys/bus/platform/drivers/snd_aloop/unbind", "snd_aloop.0"), "cannot unbind snd_aloop.0")
        let ended = collector.wait(seconds: 5, until: { $0.ended != nil })
        let delay = MonotonicClockSeconds.now() - unplugged
        let stopStarted = MonotonicClockSeconds.now()
        session.stop()
        let stopTime = MonotonicClockSeconds.now() - stopStarted
        _ = writeSysfs("/sys/bus/platform/drivers/snd_aloop/bind", "snd_aloop.0")
        try require(ended, "the track did not end within 5 s")
        guard case .some(.some(let error)) = collector.ended else { throw CheckFailure("ended without an error") }
        try require(error.name == .notReadableError, "ended with \(error)")
        try require(stopTime < 1, "stop() took \(stopTime) s")
        return "ended after \(format(delay, 2)) s with \"\(error.message)\""
    }
}
