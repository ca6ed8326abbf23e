import Foundation
import MediaCapture
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
}
