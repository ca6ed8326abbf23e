import MediaPrimitives
/// Reads 16-bit PCM WAV (the `--audio-file` fake microphone, test oracles). Unknown chunks are
/// skipped; anything but 16-bit PCM is an error that says how to convert. The file is read
/// chunk by chunk, so memory follows the samples it really holds (at most
/// `CaptureLimits.wavDataBytes`), whatever its header claims.
public final class WAVReader {
    public let sampleRate: Int
    public let channelCount: Int
    /// Interleaved samples of the whole file.
    public let samples: [Int16]

    public init(path: String) throws(MediaFileError) {
        let file = try BinaryFile(path: path, mode: "rb")
        let riff = try file.read(12)
        guard riff.count == 12, riff[0..<4].elementsEqual("RIFF".utf8), riff[8..<12].elementsEqual("WAVE".utf8) else {
            throw MediaFileError(path: path, "not a RIFF/WAVE file")
        }
        var format: (channels: Int, rate: Int, bits: Int, tag: Int)?
        var data: [Int16]?
        while data == nil {
            let header = try file.read(8)
            guard header.count == 8, let size32 = header.readLittleEndian(UInt32.self, at: 4) else { break }
            let size = Int(size32)
            let id = header[0..<4]
            if id.elementsEqual("fmt ".utf8) {
                let body = try file.read(min(size, 40))
                guard size >= 16, let tag = body.readLittleEndian(UInt16.self, at: 0),
                      let channels = body.readLittleEndian(UInt16.self, at: 2),
                      let rate = body.readLittleEndian(UInt32.self, at: 4),
                      let bits = body.readLittleEndian(UInt16.self, at: 14) else {
                    throw MediaFileError(path: path, "truncated fmt chunk")
                }
                format = (Int(channels), Int(rate), Int(bits), Int(tag))
                try file.skip(size - body.count + (size & 1))
            } else if id.elementsEqual("data".utf8) {
                // 0xFFFFFFFF: written by a streaming encoder that never knew the size; read on
                // to the end of the file.
                let limit = CaptureLimits.wavDataBytes
                let want = size32 == UInt32.max ? limit + 2 : size
                let read = try file.read(min(want, limit + 2) / 2, of: Int16.self)
                guard read.count * 2 <= limit else {
                    throw MediaFileError(path: path, "the data chunk holds more than \(limit >> 20) MiB of samples (the limit for an audio file); cut it shorter, e.g. sox IN OUT.wav trim 0 600")
                }
                data = read
            } else {
                try file.skip(size + (size & 1))
            }
        }
        guard let format else { throw MediaFileError(path: path, "no fmt chunk") }
        guard format.tag == 1 || format.tag == 0xFFFE, format.bits == 16 else {
            throw MediaFileError(path: path, "only 16-bit PCM is supported; convert with: sox IN -b 16 -e signed-integer OUT.wav")
        }
        guard CaptureLimits.channelCounts.contains(format.channels) else {
            throw MediaFileError(path: path, "fmt channels \(format.channels) is outside \(CaptureLimits.text(CaptureLimits.channelCounts))")
        }
        guard CaptureLimits.sampleRates.contains(format.rate) else {
            throw MediaFileError(path: path, "fmt sample rate \(format.rate) Hz is outside \(CaptureLimits.text(CaptureLimits.sampleRates)) Hz")
        }
        guard let data else { throw MediaFileError(path: path, "no data chunk") }
        sampleRate = format.rate
        channelCount = format.channels
        // A file cut short (a recording that was killed) may end inside a sample frame: only
        // whole frames are audio. Found by scripts/fuzz wav.
        samples = data.count % format.channels == 0 ? data : Array(data.prefix(data.count - data.count % format.channels))
    }
}
