import Foundation
import MediaCapture
import MediaPrimitives
import Testing
@testable import MediaCodecs

@Suite struct OpusTests {
    /// Encodes `seconds` of a tone in 10 ms capture frames (what ALSA delivers).
    static func encodeTone(_ encoder: OpusEncoder, tone: ToneGenerator, seconds: Double, start: UInt64 = 5_000_000_000) throws -> [EncodedAudioFrame] {
        var out: [EncodedAudioFrame] = []
        let chunk = 480
        for n in 0..<Int(seconds * 100) {
            out += try encoder.encode(tone.frame(offset: n * chunk, count: chunk, timestamp: start + UInt64(n) * 10_000_000))
        }
        return out
    }

    /// A 440 Hz tone through OggOpusWriter plays in opusinfo and opusdec and decodes back to
    /// 440 Hz (within 2 Hz), with opusdec and with our own decoder, mono and stereo.
    @Test(arguments: [1, 2])
    func toneThroughOggOpusDecodesBackToTone(channels: Int) throws {
        try Support.requireTool("opusinfo")
        try Support.requireTool("opusdec")
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/tone.ogg"
        let encoder = try OpusEncoder(configuration: OpusEncoderConfiguration(channelCount: channels))
        let writer = try OggOpusWriter(path: path, channels: channels, preSkip: encoder.lookahead)
        let packets = try Self.encodeTone(encoder, tone: ToneGenerator(frequency: 440, channelCount: channels), seconds: 2)
        #expect(packets.count == 100)
        for p in packets { try writer.write(p) }
        try writer.close()

        let info = try Support.run("/usr/bin/opusinfo", [path])
        #expect(info.status == 0, "opusinfo: \(info.stdout) \(info.stderr)")
        #expect(!info.stdout.contains("WARNING") && !info.stderr.contains("WARNING"), "opusinfo: \(info.stdout) \(info.stderr)")
        #expect(info.stdout.contains("Channels: \(channels)"), "opusinfo: \(info.stdout)")

        let wav = dir + "/tone.wav"
        let dec = try Support.run("/usr/bin/opusdec", ["--rate", "48000", path, wav])
        #expect(dec.status == 0, "opusdec: \(dec.stderr)")
        let decoded = try WAVReader(path: wav)
        #expect(decoded.channelCount == channels)
        // 100 packets of 960 samples minus the pre-skip.
        #expect(decoded.samples.count / channels == 100 * 960 - encoder.lookahead)
        let theirs = Support.toneFrequency(Array(decoded.samples[(decoded.samples.count / 4)...]), channelCount: channels, sampleRate: 48_000)
        #expect(abs(theirs - 440) < 2, "opusdec tone \(theirs) Hz")

        let reader = try OggOpusReader(path: path)
        #expect(reader.head.channelCount == channels && reader.head.preSkip == encoder.lookahead)
        #expect(reader.tags.vendor.contains("Tincan"))
        let stored = try reader.readAll()
        #expect(stored.map(\.data) == packets.map(\.data))
        #expect(stored.last?.isEndOfStream == true)
        #expect(stored.last?.granulePosition == Int64(100 * 960))
        let decoder = try OpusDecoder(channelCount: channels)
        var pcm: [Int16] = []
        for p in stored { pcm += try decoder.decode(p.data).samples }
        pcm.removeFirst(reader.head.preSkip * channels)
        let ours = Support.toneFrequency(Array(pcm[(pcm.count / 4)...]), channelCount: channels, sampleRate: 48_000)
        print("Opus \(channels) ch 440 Hz tone: opusdec \(String(format: "%.2f", theirs)) Hz, OpusDecoder \(String(format: "%.2f", ours)) Hz")
        #expect(abs(ours - 440) < 2, "our decoder: \(ours) Hz")
    }

    /// Packets are 20 ms apart on the capture clock, 960 ticks apart on the 48 kHz RTP clock.
    @Test func packetTimestampsFollowCaptureClock() throws {
        let encoder = try OpusEncoder(configuration: OpusEncoderConfiguration(channelCount: 1))
        let packets = try OpusTests.encodeTone(encoder, tone: ToneGenerator(), seconds: 0.2, start: 7_000_000_000)
        #expect(packets.count == 10)
        #expect(packets.first?.timestamp == 7_000_000_000)
        #expect(zip(packets.dropFirst(), packets).allSatisfy { $0.timestamp - $1.timestamp == 20_000_000 })
        #expect(zip(packets.dropFirst(), packets).allSatisfy { $0.rtpTimestamp(offset: 0xFFFF_FF00) &- $1.rtpTimestamp(offset: 0xFFFF_FF00) == 960 })
        #expect(packets.allSatisfy { $0.sampleCount == 960 })
    }

    /// DTX turns silence into tiny packets; bitrate changes on the fly; FEC can be toggled.
    @Test func dtxFECAndBitrateAreSettable() throws {
        let encoder = try OpusEncoder(configuration: OpusEncoderConfiguration(channelCount: 1, bitrate: 16_000, inbandFEC: false, dtx: true))
        let silence = AudioFrame(sampleRate: 48_000, channelCount: 1, samples: [Int16](repeating: 0, count: 960), timestamp: 0)
        var silent: [EncodedAudioFrame] = []
        for _ in 0..<50 { silent += try encoder.encode(silence) }
        #expect(silent.filter(\.isDiscontinuous).count > 30, "sizes \(silent.map(\.data.count))")

        try encoder.setDTX(false)
        try encoder.setInbandFEC(true, packetLossPercent: 20)
        #expect(encoder.configuration.inbandFEC && !encoder.configuration.dtx)
        let tone = ToneGenerator(frequency: 1000)
        let low = try OpusTests.encodeTone(encoder, tone: tone, seconds: 1).reduce(0) { $0 + $1.data.count }
        try encoder.setBitrate(64_000)
        #expect(encoder.bitrate == 64_000)
        let high = try OpusTests.encodeTone(encoder, tone: tone, seconds: 1).reduce(0) { $0 + $1.data.count }
        #expect(high > 2 * low, "bytes at 16k \(low), at 64k \(high)")
        #expect(throws: CodecError.self) { try encoder.setBitrate(1000) }
    }

    /// A lost packet is recovered from the next packet's in-band FEC copy.
    @Test func inbandFECRecoversALostPacket() throws {
        let encoder = try OpusEncoder(configuration: OpusEncoderConfiguration(channelCount: 1, bitrate: 32_000, inbandFEC: true, packetLossPercent: 20))
        let packets = try OpusTests.encodeTone(encoder, tone: ToneGenerator(frequency: 300), seconds: 0.5)
        let decoder = try OpusDecoder(channelCount: 1)
        for p in packets.prefix(10) { _ = try decoder.decode(p.data) }
        let recovered = try decoder.decode(packets[11].data, fec: true, lostSamples: 960)
        #expect(recovered.frameCount == 960)
        let energy = recovered.samples.reduce(0.0) { $0 + Double($1) * Double($1) } / 960
        #expect(energy > 1_000_000, "FEC frame energy \(energy)")
    }

    @Test func rejectsBadInput() throws {
        #expect(throws: CodecError.self) { try OpusEncoder(configuration: OpusEncoderConfiguration(channelCount: 3)) }
        let encoder = try OpusEncoder(configuration: OpusEncoderConfiguration(channelCount: 1))
        #expect(throws: CodecError.self) {
            try encoder.encode(AudioFrame(sampleRate: 44_100, channelCount: 1, samples: [0, 0], timestamp: 0))
        }
        let decoder = try OpusDecoder(channelCount: 1)
        #expect(throws: CodecError.self) { try decoder.decode([]) }
        #expect(throws: CodecError.self) { try decoder.decode([0xFF, 0xFF, 0xFF]) }  // code 3 with bad count
    }
}
