import MediaPrimitives
/// Writes 16-bit PCM WAV. Sizes in the header are patched on close, so a file cut short by a
/// crash still holds its samples (players read to the end of the data).
public final class WAVWriter {
    public let sampleRate: Int
    public let channelCount: Int
    private let file: BinaryFile
    public private(set) var frameCount = 0

    public init(path: String, sampleRate: Int, channelCount: Int) throws(MediaFileError) {
        self.sampleRate = sampleRate
        self.channelCount = channelCount
        file = try BinaryFile(path: path, mode: "wb")
        try file.write(WAVWriter.header(sampleRate: sampleRate, channelCount: channelCount, dataBytes: 0))
    }

    static func header(sampleRate: Int, channelCount: Int, dataBytes: Int) -> [UInt8] {
        var h: [UInt8] = []
        h += Array("RIFF".utf8); h.appendLittleEndian(UInt32(truncatingIfNeeded: 36 + dataBytes))
        h += Array("WAVEfmt ".utf8); h.appendLittleEndian(UInt32(16))
        h.appendLittleEndian(UInt16(1))  // PCM
        h.appendLittleEndian(UInt16(channelCount))
        h.appendLittleEndian(UInt32(sampleRate))
        h.appendLittleEndian(UInt32(sampleRate * channelCount * 2))
        h.appendLittleEndian(UInt16(channelCount * 2))
        h.appendLittleEndian(UInt16(16))
        h += Array("data".utf8); h.appendLittleEndian(UInt32(truncatingIfNeeded: dataBytes))
        return h
    }

    public func write(_ frame: AudioFrame) throws(MediaFileError) {
        guard frame.sampleRate == sampleRate, frame.channelCount == channelCount else {
            throw MediaFileError(path: file.path, "audio is \(frame.sampleRate) Hz x\(frame.channelCount), the file \(sampleRate) Hz x\(channelCount)")
        }
        #if _endian(little)
        try file.write(frame.samples)  // already in WAV's byte order: no per-frame copy
        #else
        try file.write(frame.samples.map { $0.littleEndian })
        #endif
        frameCount += frame.frameCount
    }

    public func close() throws(MediaFileError) {
        let bytes = frameCount * channelCount * 2
        try file.seek(to: 0)
        try file.write(WAVWriter.header(sampleRate: sampleRate, channelCount: channelCount, dataBytes: bytes))
        try file.close()
    }
}
