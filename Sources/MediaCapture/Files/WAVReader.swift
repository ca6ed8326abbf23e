/// Reads 16-bit PCM WAV (the `--audio-file` fake microphone, test oracles). Unknown chunks are
/// skipped; anything but 16-bit PCM is an error that says how to convert.
public final class WAVReader {
    public let sampleRate: Int
    public let channelCount: Int
    /// Interleaved samples of the whole file.
    public let samples: [Int16]

    public init(path: String) throws(MediaFileError) {
        let file = try BinaryFile(path: path, mode: "rb")
        let bytes = try file.read(64 << 20)
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8) else {
            throw MediaFileError(path: path, "not a RIFF/WAVE file")
        }
        var offset = 12
        var format: (channels: Int, rate: Int, bits: Int, tag: Int)?
        var data: ArraySlice<UInt8>?
        while offset + 8 <= bytes.count {
            guard let size32 = bytes.readLittleEndian(UInt32.self, at: offset + 4) else { break }
            let id = bytes[offset..<offset + 4]
            let size = Int(size32)
            let start = offset + 8
            let end = min(bytes.count, start + size)
            if id.elementsEqual("fmt ".utf8) {
                guard let tag = bytes.readLittleEndian(UInt16.self, at: start),
                      let channels = bytes.readLittleEndian(UInt16.self, at: start + 2),
                      let rate = bytes.readLittleEndian(UInt32.self, at: start + 4),
                      let bits = bytes.readLittleEndian(UInt16.self, at: start + 14) else {
                    throw MediaFileError(path: path, "truncated fmt chunk")
                }
                format = (Int(channels), Int(rate), Int(bits), Int(tag))
            } else if id.elementsEqual("data".utf8) {
                data = bytes[start..<end]
            }
            offset = start + size + (size & 1)
        }
        guard let format else { throw MediaFileError(path: path, "no fmt chunk") }
        guard format.tag == 1 || format.tag == 0xFFFE, format.bits == 16 else {
            throw MediaFileError(path: path, "only 16-bit PCM is supported; convert with: sox IN -b 16 -e signed-integer OUT.wav")
        }
        guard (1...8).contains(format.channels), (8000...384000).contains(format.rate) else {
            throw MediaFileError(path: path, "unsupported \(format.channels) channels at \(format.rate) Hz")
        }
        guard let data else { throw MediaFileError(path: path, "no data chunk") }
        var samples = [Int16](repeating: 0, count: data.count / 2)
        var i = data.startIndex
        for n in samples.indices {
            samples[n] = Int16(bitPattern: UInt16(data[i]) | UInt16(data[i + 1]) << 8)
            i += 2
        }
        sampleRate = format.rate
        channelCount = format.channels
        self.samples = samples
    }
}
