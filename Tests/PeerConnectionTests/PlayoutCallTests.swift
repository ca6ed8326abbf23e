import LinuxCapture
import MediaCapture
import MediaPrimitives
import PeerConnection
import Synchronization
import Testing

/// A call between two peer connections over UDP on 127.0.0.1 whose received audio plays
/// through ALSA (the `file` plugin over `null`: a speaker that writes to a file), as a
/// person on `tincan call` hears it.
@Suite(.serialized) struct PlayoutCallTests {
    static let frequency = 660.0

    final class Outputs: Sendable {
        let state = Mutex<(output: ALSAAudioOutput?, playout: AudioPlayoutSource?, error: String?)>((nil, nil, nil))
    }

    @Test("the other side's tone plays through ALSA into a file, without gaps on a clean link")
    func tonePlaysThroughALSA() async throws {
        let speaker = PlaybackFileFixture.speaker
        let devices = MediaDevices(videoDevices: [], audioDevices: [SyntheticMicrophone(frequency: Self.frequency)],
                                   permissions: StaticPermissions.allowAll, indicator: SilentCaptureIndicator())
        // The tone as the device makes it (the synthetic microphone's default; asked for, so
        // the test does not rest on it): a noise suppressor takes a steady tone for noise and
        // lowers it by some 19 dB within half a second.
        let stream = try await devices.getUserMedia(jsonText: #"{"audio": {"echoCancellation": false, "noiseSuppression": false, "autoGainControl": false}}"#)
        defer { for t in stream.getTracks() { t.stop() } }
        let sender = try RTCPeerConnection(configuration: LoopbackCallTests.configuration())
        let receiver = try RTCPeerConnection(configuration: LoopbackCallTests.configuration())
        for t in stream.getTracks() { try sender.addTrack(t) }

        let outputs = Outputs()
        let watch = Task {
            for await event in receiver.events {
                guard case .track(let r, _) = event, r.kind == .audio, let playout = r.startPlayout() else { continue }
                do {
                    let output = try ALSAAudioOutput.start(device: speaker.device, sampleRate: AudioPlayoutSource.sampleRate,
                                                           channelCount: playout.channelCount, read: { playout.read() })
                    outputs.state.withLock { $0 = (output, playout, nil) }
                } catch {
                    outputs.state.withLock { $0.error = "\(error)" }
                }
            }
        }
        let (_, answer) = try await LoopbackCallTests.offerAndAnswer(sender, receiver)
        try await sender.setRemoteDescription(answer)
        try await sender.waitUntilConnected(timeout: .seconds(10))
        try await receiver.waitUntilConnected(timeout: .seconds(10))
        try await Task.sleep(for: .seconds(4))
        let stats = receiver.getStats()
        let (output, playout, error) = outputs.state.withLock { $0 }
        output?.stop()
        await sender.close()
        await receiver.close()
        watch.cancel()

        #expect(error == nil, "the ALSA output did not open: \(error ?? "")")
        let channels = try #require(playout?.channelCount)
        let all = PlaybackFileFixture.samples(at: speaker.file)
        let mono = stride(from: 0, to: all.count - channels + 1, by: channels).map { all[$0] }
        #expect(mono.count >= 48000 * 3, "\(mono.count) frames in \(speaker.file)")
        // From the first block of tone to the end (the last 30 ms may be cut at the stop):
        // the tone in every 10 ms block that the jitter buffer did not have to conceal. On a
        // clean link that is every block; a machine loaded enough to stall the call's threads
        // makes the buffer conceal (counted in getStats, never silent), and only that may be
        // missing.
        let blocks = ToneFrequency.blocksWithoutTone(mono, frequency: Self.frequency)
        let total = mono.count / 480
        let onset = (0..<total).first { !blocks.contains($0) } ?? total
        let gaps = blocks.filter { $0 > onset + 2 && $0 < total - 3 }
        let audio = try #require(stats.first(type: "inbound-rtp", kind: "audio"))
        guard case .number(let concealed)? = audio["concealedSamples"] else { Issue.record("no concealedSamples"); return }
        let concealedBlocks = Int((concealed / 480).rounded(.up))
        print("playout over loopback: \(total) blocks, tone from block \(onset), \(gaps.count) without it; \(concealedBlocks) blocks concealed")
        #expect(gaps.count <= concealedBlocks, "blocks without the \(Self.frequency) Hz tone after the onset (block \(onset) of \(total)) that the jitter buffer did not conceal: \(gaps)")
        #expect(concealedBlocks <= total / 20, "\(concealedBlocks) of \(total) blocks concealed on a clean link")
        #expect(total - onset >= 300, "only \(total - onset) blocks of tone")
        // And it is that tone, not another.
        let middle = Array(mono[(mono.count / 2)..<(mono.count / 2 + 48000 / 2)])
        let measured = ToneFrequency.estimate(middle, sampleRate: 48000) ?? 0
        #expect(abs(measured - Self.frequency) < 2, "measured \(measured) Hz")

        for name in ["jitterBufferDelay", "jitterBufferTargetDelay", "jitterBufferEmittedCount", "totalSamplesReceived",
                     "concealedSamples", "silentConcealedSamples", "concealmentEvents", "insertedSamplesForDeceleration",
                     "removedSamplesForAcceleration", "audioLevel", "totalAudioEnergy", "totalSamplesDuration"] {
            #expect(audio[name] != nil, "inbound-rtp audio has no \(name)")
        }
        if case .number(let emitted)? = audio["jitterBufferEmittedCount"], case .number(let delay)? = audio["jitterBufferDelay"] {
            print("playout over loopback: emitted \(Int(emitted)) samples, mean jitter buffer delay \(delay / max(1, emitted) * 1000) ms")
            #expect(emitted > 48000 * 3)
            #expect(delay / emitted < 0.1)
        }
    }
}
