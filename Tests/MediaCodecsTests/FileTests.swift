import Foundation
import MediaCapture
import MediaPrimitives
import Testing
@testable import MediaCodecs

@Suite struct FileTests {
    static func write(_ bytes: [UInt8], _ name: String, in dir: String) -> String {
        let path = dir + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    static func bytes(_ path: String) -> [UInt8] { [UInt8]((FileManager.default.contents(atPath: path)) ?? Data()) }

    @Test func ivfRoundTripAndRejectsBadFiles() throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/a.ivf"
        let writer = try IVFWriter(path: path, width: 320, height: 240, timebase: (1, 1000))
        try writer.write(EncodedVideoFrame(data: [1, 2, 3], timestamp: 1_000_000_000, isKeyframe: true, width: 320, height: 240))
        try writer.write(EncodedVideoFrame(data: [4, 5], timestamp: 1_040_000_000, isKeyframe: false, width: 320, height: 240))
        try writer.close()
        let reader = try IVFReader(path: path)
        #expect(reader.declaredFrameCount == 2 && reader.timebase.denominator == 1000)
        #expect(try reader.readAll() == [IVFReader.Frame(data: [1, 2, 3], pts: 0), IVFReader.Frame(data: [4, 5], pts: 40)])

        let good = Self.bytes(path)
        #expect(throws: MediaFileError.self) { try IVFReader(path: Self.write(Array("RIFF....".utf8), "garbage.ivf", in: dir)) }
        #expect(throws: MediaFileError.self) { try IVFReader(path: Self.write(Array(good.prefix(20)), "short.ivf", in: dir)) }
        // A frame cut short.
        let cut = try IVFReader(path: Self.write(Array(good.dropLast(1)), "cut.ivf", in: dir))
        #expect(throws: MediaFileError.self) { try cut.readAll() }
        // A frame header claiming 4 GB.
        var huge = good
        huge.replaceSubrange(32..<36, with: [0xFF, 0xFF, 0xFF, 0xFF])
        let h = try IVFReader(path: Self.write(huge, "huge.ivf", in: dir))
        #expect(throws: MediaFileError.self) { try h.readAll() }
        // A zero time base.
        var zero = good
        zero.replaceSubrange(16..<20, with: [0, 0, 0, 0])
        #expect(throws: MediaFileError.self) { try IVFReader(path: Self.write(zero, "zero.ivf", in: dir)) }
    }

    @Test func oggOpusReaderRejectsBadFiles() throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/a.ogg"
        let encoder = try OpusEncoder(configuration: OpusEncoderConfiguration(channelCount: 1))
        let writer = try OggOpusWriter(path: path, channels: 1, preSkip: encoder.lookahead, serialNumber: 42)
        for p in try OpusTests.encodeTone(encoder, tone: ToneGenerator(), seconds: 1.5) { try writer.write(p) }
        try writer.close()
        let good = Self.bytes(path)
        #expect(try OggOpusReader(path: path).readAll().count == 75)

        #expect(throws: MediaFileError.self) { try OggOpusReader(path: Self.write([], "empty.ogg", in: dir)) }
        #expect(throws: MediaFileError.self) { try OggOpusReader(path: Self.write(Array("not an ogg file at all".utf8), "text.ogg", in: dir)) }
        // Cut in the middle of a page.
        #expect(throws: MediaFileError.self) { try OggOpusReader(path: Self.write(Array(good.prefix(good.count - 10)), "cut.ogg", in: dir)).readAll() }
        // One flipped byte in the audio: the page CRC fails.
        var flipped = good
        flipped[good.count - 100] ^= 0x55
        #expect(throws: MediaFileError.self) { try OggOpusReader(path: Self.write(flipped, "crc.ogg", in: dir)).readAll() }
        // Not Opus: a valid Ogg page whose first packet is not OpusHead.
        let fake = dir + "/fake.ogg"
        let w = try OggOpusWriter(path: fake, channels: 2, preSkip: 312)
        try w.close()
        var notOpus = Self.bytes(fake)
        if let i = notOpus.firstIndex(of: UInt8(ascii: "O")), let j = (i + 1..<notOpus.count).first(where: { notOpus[$0] == UInt8(ascii: "H") }) {
            notOpus[j] = UInt8(ascii: "X")  // OpusHead -> OpusXead (CRC now also wrong)
        }
        #expect(throws: MediaFileError.self) { try OggOpusReader(path: Self.write(notOpus, "notopus.ogg", in: dir)) }
        // A header with 3 channels in mapping family 0 (built directly: the writer refuses it).
        #expect(throws: CodecError.self) { try OpusHead(parsing: OpusHead(channelCount: 3, preSkip: 312).bytes) }
        #expect(throws: CodecError.self) { try OpusTags(parsing: Array("OpusTags".utf8) + [0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0]) }
        #expect(try OpusHead(parsing: OpusHead(channelCount: 2, preSkip: 312).bytes) == OpusHead(channelCount: 2, preSkip: 312))
    }

    /// Mutated and truncated files (a seeded generator, 300 variants each) either read or
    /// throw: the readers never trap.
    @Test func readersSurviveMutatedFiles() throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ogg = dir + "/a.ogg", ivf = dir + "/a.ivf"
        let opus = try OpusEncoder(configuration: OpusEncoderConfiguration(channelCount: 2))
        let ow = try OggOpusWriter(path: ogg, channels: 2, preSkip: opus.lookahead)
        for p in try OpusTests.encodeTone(opus, tone: ToneGenerator(channelCount: 2), seconds: 0.3) { try ow.write(p) }
        try ow.close()
        let vp8 = try VP8Encoder(configuration: VP8EncoderConfiguration(width: 64, height: 48))
        let iw = try IVFWriter(path: ivf, width: 64, height: 48)
        for f in try Support.encodePattern(vp8, pattern: MovingPattern(width: 64, height: 48), count: 5, interval: 33_333_333) { try iw.write(f) }
        try iw.close()
        var rng = SplitMix(seed: 7)
        var outcomes = (read: 0, threw: 0)
        for (source, isOgg) in [(Self.bytes(ogg), true), (Self.bytes(ivf), false)] {
            for n in 0..<300 {
                var bytes = source
                if n % 3 == 0 {
                    bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count))))
                } else {
                    for _ in 0..<(1 + n % 4) { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
                }
                let path = Self.write(bytes, "m.bin", in: dir)
                do {
                    if isOgg {
                        let r = try OggOpusReader(path: path)
                        let decoder = try OpusDecoder(channelCount: r.head.channelCount)
                        for p in try r.readAll() { _ = try? decoder.decode(p.data) }
                    } else {
                        let decoder = try VP8Decoder()
                        for f in try IVFReader(path: path).readAll() { _ = try? decoder.decode(f.data) }
                    }
                    outcomes.read += 1
                } catch {
                    outcomes.threw += 1
                }
            }
        }
        #expect(outcomes.read + outcomes.threw == 600)
        #expect(outcomes.threw > 100, "\(outcomes)")
    }
}

/// A tiny deterministic generator (SplitMix64) so failures reproduce.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
