import LinuxCapture
import MediaCapture
import MediaPrimitives
import Testing

@Suite("ALSA capture through alsa-lib's file plugin")
struct ALSAFileMicrophoneTests {
    @Test func samplesComeBackByteExact() async throws {
        let mic = FileMicrophoneFixture.microphone("tincan_ramp")
        let collector = Collector<AudioFrame>()
        let session = try mic.startCapture(
            mode: AudioMode(sampleRate: 48000, channelCount: 1),
            onFrame: { collector.add($0) }, onEnd: { collector.end($0) })
        let chunks = 50  // 0.5 s: the whole infile
        let done = await collector.wait(for: chunks, seconds: 5)
        session.stop()
        #expect(done)
        let frames = Array(collector.frames.prefix(chunks))
        #expect(frames.allSatisfy { $0.samples.count == 480 && $0.sampleRate == 48000 && $0.channelCount == 1 })
        let samples = frames.flatMap(\.samples)
        #expect(samples == FileMicrophoneFixture.ramp)
        #expect(session.overruns == 0)
    }

    @Test func deliveryIsPacedToRealTime() async throws {
        let mic = FileMicrophoneFixture.microphone("tincan_ramp")
        let collector = Collector<AudioFrame>()
        let session = try mic.startCapture(
            mode: AudioMode(sampleRate: 48000, channelCount: 1),
            onFrame: { collector.add($0) }, onEnd: { collector.end($0) })
        let started = MonotonicClock.now()
        let done = await collector.wait(for: 40, seconds: 5)
        session.stop()
        #expect(done)
        // Unpaced, the file plugin returns 0.4 s of audio in a few milliseconds.
        let arrivals = collector.arrivals
        guard arrivals.count >= 40 else { return }
        let span = Double(arrivals[39] - started) / 1e9
        #expect(span >= 0.38 && span < 0.8, "40 chunks of 10 ms arrived over \(span) s")
        // Timestamps step by exactly 10 ms.
        let stamps = collector.frames.prefix(40).map(\.timestamp)
        for (a, b) in zip(stamps, stamps.dropFirst()) {
            #expect(b - a == 10_000_000)
        }
    }

    @Test func stereoToneComesBackAtItsFrequency() async throws {
        let mic = FileMicrophoneFixture.microphone("tincan_tone")
        let collector = Collector<AudioFrame>()
        let session = try mic.startCapture(
            mode: AudioMode(sampleRate: 48000, channelCount: 2),
            onFrame: { collector.add($0) }, onEnd: { collector.end($0) })
        let done = await collector.wait(for: 30, seconds: 5)
        session.stop()
        #expect(done)
        let samples = collector.frames.prefix(30).flatMap(\.samples)
        #expect(samples == Array(FileMicrophoneFixture.tone.prefix(samples.count)))
        let left = stride(from: 0, to: samples.count, by: 2).map { samples[$0] }
        let frequency = ToneFrequency.estimate(left, sampleRate: 48000)
        #expect(frequency.map { abs($0 - 440) < 1 } == true, "estimated \(String(describing: frequency))")
    }

    @Test func capabilitiesComeFromHwParams() {
        let mic = FileMicrophoneFixture.microphone("tincan_ramp")
        #expect(mic.capabilities.sampleRates.contains(48000))
        #expect(mic.capabilities.sampleRates.contains(16000))
        #expect(mic.capabilities.channelCounts.contains(1) && mic.capabilities.channelCounts.contains(2))
        #expect(mic.capabilities.sampleSizes == [16])
        #expect(mic.defaultMode == AudioMode(sampleRate: 48000, sampleSize: 16, channelCount: 1))
        #expect(mic.deviceId == ALSAMicrophone(pcmName: "tincan_ramp").deviceId)
        #expect(mic.deviceId != FileMicrophoneFixture.microphone("tincan_tone").deviceId)
    }

    @Test func stopThenStartInAnotherMode() async throws {
        let mic = FileMicrophoneFixture.microphone("tincan_ramp")
        let first = Collector<AudioFrame>()
        let s1 = try mic.start(
            mode: AudioMode(sampleRate: 48000, channelCount: 1),
            onFrame: { first.add($0) }, onEnd: { first.end($0) })
        #expect(await first.wait(for: 3, seconds: 5))
        s1.stop()
        s1.stop()  // idempotent
        let countAfterStop = first.frames.count
        let second = Collector<AudioFrame>()
        let s2 = try mic.start(
            mode: AudioMode(sampleRate: 16000, channelCount: 2),
            onFrame: { second.add($0) }, onEnd: { second.end($0) })
        #expect(await second.wait(for: 3, seconds: 5))
        s2.stop()
        #expect(first.frames.count == countAfterStop, "no frame after stop() returned")
        #expect(second.frames.allSatisfy { $0.sampleRate == 16000 && $0.channelCount == 2 && $0.samples.count == 320 })
        #expect(first.ended == nil && second.ended == nil, "stop() is not an end")
    }

    @Test func stopFromInsideTheFrameCallbackDoesNotDeadlock() async throws {
        let mic = FileMicrophoneFixture.microphone("tincan_ramp")
        let collector = Collector<AudioFrame>()
        let holder = Mutex<ALSACaptureSession?>(nil)
        let session = try mic.startCapture(
            mode: AudioMode(sampleRate: 48000, channelCount: 1),
            onFrame: { frame in
                collector.add(frame)
                holder.withLock { $0 }?.stop()
            },
            onEnd: { collector.end($0) })
        holder.withLock { $0 = session }
        _ = await collector.wait(for: 3, seconds: 0.3)
        let count = collector.frames.count
        #expect(count >= 1 && count <= 2)
        session.stop()
    }

    @Test func unknownPCMRejectsWithNotReadableError() {
        let mic = FileMicrophoneFixture.microphone("tincan_no_such_pcm")
        #expect(throws: MediaStreamError.self) {
            _ = try mic.start(mode: mic.defaultMode, onFrame: { _ in }, onEnd: { _ in })
        }
        do {
            _ = try mic.start(mode: mic.defaultMode, onFrame: { _ in }, onEnd: { _ in })
        } catch {
            #expect(error.name == .notReadableError)
            #expect(error.message.contains("tincan_no_such_pcm"))
        }
    }
}

import Synchronization
