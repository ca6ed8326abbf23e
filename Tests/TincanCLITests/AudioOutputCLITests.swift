import Foundation
import LinuxCapture
import Testing

/// `tincan call --audio-output`: the other side's audio on an ALSA device, as a person hears
/// it; a device that cannot be opened is one warning and the call goes on.
@Suite(.serialized) struct AudioOutputCLITests {
    @Test("two tincan calls: one plays the other's 440 Hz tone through ALSA (the file plugin) without gaps; one has no such device, warns once and goes on")
    func callPlaysTheOtherSide() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (speaker, alsa) = try Self.speaker(in: dir)

        let server = try SignalServer.start()
        defer { server.stop() }
        let common = ["call", "--fake-devices", "--allow", "camera,microphone", "--signal", "ws://127.0.0.1:\(server.port)", "--room", "speakers",
                      "--duration", "4", "--constraints", #"{"video": {"width": 320, "height": 240}, "audio": \#(Self.rawAudio)}"#]
        let statsPath = dir.appendingPathComponent("offerer-stats.json")
        let offerer = try CallCommandTests.Background(common + ["--audio-output", "tincan_cli_speaker", "--stats-json", statsPath.path],
                                                      in: dir, name: "offerer", environment: alsa)
        let answerer = try CallCommandTests.Background(common + ["--answer", "--audio-output", "tincan_no_such_pcm"],
                                                       in: dir, name: "answerer", environment: alsa)
        let offererExited = offerer.wait(seconds: 40), answererExited = answerer.wait(seconds: 40)
        let offererStderr = offerer.stderr, answererStderr = answerer.stderr
        #expect(offererExited && offerer.process.terminationStatus == 0, "offerer: \(offererStderr)")
        #expect(answererExited && answerer.process.terminationStatus == 0, "answerer: \(answererStderr)")

        // The device that is not there: said once, with its name; the call went on.
        let warnings = answererStderr.components(separatedBy: "\n").filter { $0.contains("cannot play the received audio") }
        #expect(warnings.count == 1 && warnings.first?.contains("tincan_no_such_pcm") == true, "answerer: \(answererStderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(offerer.stdout.utf8)) as? [String: Any]
        let received = summary?["received"] as? [String: Any]
        #expect((received?["audioFramesDecoded"] as? Int ?? 0) >= 100)

        // What the offerer's speaker played: the answerer's 440 Hz, every block but those
        // the jitter buffer concealed (counted in getStats: none on a clean link unless the
        // machine stalls the call's threads).
        let stats = (try? JSONSerialization.jsonObject(with: Data(contentsOf: statsPath))) ?? [:]
        let concealed = Self.inboundAudio(in: stats)?["concealedSamples"] as? Double
        #expect(concealed != nil, "no concealedSamples in the offerer's inbound-rtp audio")
        Self.expectTone(in: speaker, concealedSamples: concealed ?? 0, name: "tincan call --audio-output", log: offererStderr)
    }

    @Test("tincan recv --audio-output plays what a tincan send sends; --audio-out records what plays")
    func recvPlays() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (speaker, alsa) = try Self.speaker(in: dir)
        let offer = dir.appendingPathComponent("offer.sdp").path, answer = dir.appendingPathComponent("answer.sdp").path
        let wav = dir.appendingPathComponent("heard.wav").path, statsPath = dir.appendingPathComponent("stats.json")
        let recv = try CallCommandTests.Background(["recv", "--offer-in", offer, "--answer-out", answer, "--duration", "4",
                                                    "--audio-output", "tincan_cli_speaker", "--audio-out", wav, "--stats-json", statsPath.path],
                                                   in: dir, name: "recv", environment: alsa)
        let send = try CallCommandTests.Background(["send", "--fake-devices", "--allow", "microphone", "--offer-out", offer, "--answer-in", answer,
                                                    "--duration", "5", "--constraints", #"{"audio": \#(Self.rawAudio)}"#], in: dir, name: "send")
        #expect(recv.wait(seconds: 40) && recv.process.terminationStatus == 0, "recv: \(recv.stderr)")
        _ = send.wait(seconds: 30)
        let stats = (try? JSONSerialization.jsonObject(with: Data(contentsOf: statsPath))) ?? [:]
        let concealed = Self.inboundAudio(in: stats)?["concealedSamples"] as? Double
        #expect(concealed != nil, "no concealedSamples: the audio did not play (\(recv.stderr))")
        Self.expectTone(in: speaker, concealedSamples: concealed ?? 0, name: "tincan recv --audio-output", log: recv.stderr)
        // The recording is what played: 48 kHz WAV after its 44-byte header, the same tone.
        let data = (try? Data(contentsOf: URL(fileURLWithPath: wav))) ?? Data()
        let samples = data.count > 44 ? data.dropFirst(44).withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) } : []
        let left = stride(from: 0, to: max(0, samples.count - 1), by: 2).map { samples[$0] }
        let measured = left.count > 48000 ? ToneFrequency.estimate(Array(left[24000..<48000]), sampleRate: 48000) ?? 0 : 0
        #expect(abs(measured - 440) < 2, "the recording's tone: \(measured) Hz")
    }

    /// The fake microphone's tone as it makes it (its default; asked for so the tests do not
    /// rest on it): a noise suppressor takes a steady tone for noise and lowers it by some
    /// 19 dB, and the echo canceller of a call whose two sides play the same tone would take
    /// one for the other's echo.
    static let rawAudio = #"{"echoCancellation": false, "noiseSuppression": false, "autoGainControl": false}"#

    /// An asoundrc with `tincan_cli_speaker` (the file plugin over null) in `dir`: the raw
    /// file it writes and the environment that finds it.
    static func speaker(in dir: URL) throws -> (file: String, environment: [String: String]) {
        let file = dir.appendingPathComponent("speaker.raw").path
        try "pcm.tincan_cli_speaker { type file slave.pcm \"null\" file \"\(file)\" format \"raw\" }\n"
            .write(to: dir.appendingPathComponent("asoundrc"), atomically: true, encoding: .utf8)
        return (file, ["ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf:\(dir.path)/asoundrc"])
    }

    /// The 440 Hz tone in every 10 ms block of what `file` (stereo S16) played from its onset
    /// to its last block of tone (after it, the other side has hung up: a call's two ends stop
    /// at their own times), but the blocks the jitter buffer concealed; and not more than 5 %
    /// of them concealed.
    static func expectTone(in file: String, concealedSamples: Double, name: String, log: String) {
        let data = (try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data()
        let all = data.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        let mono = stride(from: 0, to: max(0, all.count - 1), by: 2).map { all[$0] }
        let blocks = ToneFrequency.blocksWithoutTone(mono, frequency: 440)
        let total = mono.count / 480
        let onset = (0..<total).first { !blocks.contains($0) } ?? total
        let end = (0..<total).last { !blocks.contains($0) } ?? total
        let gaps = blocks.filter { $0 > onset + 2 && $0 < end }
        let concealedBlocks = Int((concealedSamples / 480).rounded(.up))
        print("\(name): \(total) blocks played, tone from block \(onset) to \(end), \(gaps.count) blocks without it, \(concealedBlocks) concealed")
        #expect(total - onset >= 250, "\(total - onset) blocks of tone in \(file): \(log)")
        #expect(gaps.count <= concealedBlocks, "blocks without the 440 Hz tone after its onset (block \(onset) of \(total)) not concealed by the jitter buffer: \(gaps)")
        #expect(concealedBlocks <= total / 20, "\(concealedBlocks) of \(total) blocks concealed on a clean link")
    }

    /// The inbound-rtp audio entry of a `--stats-json` file.
    static func inboundAudio(in json: Any) -> [String: Any]? {
        if let d = json as? [String: Any] {
            if d["type"] as? String == "inbound-rtp", d["kind"] as? String == "audio" { return d }
            for v in d.values { if let found = inboundAudio(in: v) { return found } }
        } else if let a = json as? [Any] {
            for v in a { if let found = inboundAudio(in: v) { return found } }
        }
        return nil
    }

    @Test("--audio-output with --no-audio-output is refused")
    func conflictingOptions() throws {
        let r = try TincanBinary.run(["call", "--fake-devices", "--copy-paste", "--audio-output", "default", "--no-audio-output"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--no-audio-output"), "\(r.stderr)")
    }
}
