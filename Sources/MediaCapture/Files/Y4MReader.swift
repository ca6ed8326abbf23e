/// Reads YUV4MPEG2 files with 4:2:0 chroma (the `--video-file` fake camera, test oracles).
/// Bad headers and truncated frames are errors, never traps.
public final class Y4MReader {
    public let width: Int
    public let height: Int
    public let frameRate: Double
    private let file: BinaryFile
    private let frameBytes: Int

    public init(path: String) throws(MediaFileError) {
        file = try BinaryFile(path: path, mode: "rb")
        guard let line = try file.readLine(), line.starts(with: Array("YUV4MPEG2".utf8)) else {
            throw MediaFileError(path: path, "not a YUV4MPEG2 file")
        }
        var width = 0, height = 0, rate = 30.0
        for token in line.split(separator: 0x20).dropFirst() {
            guard let tag = token.first else { continue }
            let value = String(decoding: token.dropFirst(), as: UTF8.self)
            switch tag {
            case UInt8(ascii: "W"): width = Int(value) ?? 0
            case UInt8(ascii: "H"): height = Int(value) ?? 0
            case UInt8(ascii: "F"):
                let parts = value.split(separator: ":")
                guard parts.count == 2, let n = Double(parts[0]), let d = Double(parts[1]), n > 0, d > 0 else {
                    throw MediaFileError(path: path, "bad frame rate \(value)")
                }
                rate = n / d
            case UInt8(ascii: "C"):
                guard value.hasPrefix("420") else {
                    throw MediaFileError(path: path, "chroma \(value) is not 4:2:0; convert with ffmpeg -pix_fmt yuv420p")
                }
            case UInt8(ascii: "I"):
                guard value == "p" || value == "?" else {
                    throw MediaFileError(path: path, "interlaced video is not supported")
                }
            default: break
            }
        }
        guard (1...16384).contains(width), (1...16384).contains(height) else {
            throw MediaFileError(path: path, "bad size \(width)x\(height)")
        }
        self.width = width
        self.height = height
        self.frameRate = rate
        frameBytes = VideoFrame.byteCount(width: width, height: height)
    }

    /// The next frame, or nil at the end of the file.
    public func nextFrame(timestamp: UInt64 = 0) throws(MediaFileError) -> VideoFrame? {
        guard let line = try file.readLine() else { return nil }
        guard line.starts(with: Array("FRAME".utf8)) else {
            throw MediaFileError(path: file.path, "expected FRAME")
        }
        let data = try file.read(frameBytes)
        guard data.count == frameBytes else { throw MediaFileError(path: file.path, "truncated frame") }
        return VideoFrame(width: width, height: height, data: data, timestamp: timestamp)
    }

    /// Back to the first frame (a file camera loops).
    public func rewind() throws(MediaFileError) {
        try file.seek(to: 0)
        _ = try file.readLine()
    }
}
