import MediaPrimitives
/// Reads YUV4MPEG2 files with 4:2:0 chroma (the `--video-file` fake camera, test oracles).
/// Bad headers and truncated frames are errors, never traps; sizes and rates outside
/// `CaptureLimits` are errors that name the header field, and a file too short to hold one
/// frame is refused when it is opened (nothing is allocated for frames that are not there).
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
            case UInt8(ascii: "W"), UInt8(ascii: "H"):
                let isWidth = tag == UInt8(ascii: "W")
                guard let n = Int(value), CaptureLimits.pictureSides.contains(n) else {
                    throw MediaFileError(path: path, "\(isWidth ? "width W" : "height H")\(value) is outside \(CaptureLimits.text(CaptureLimits.pictureSides))")
                }
                if isWidth { width = n } else { height = n }
            case UInt8(ascii: "F"):
                let parts = value.split(separator: ":")
                guard parts.count == 2, let n = Double(parts[0]), let d = Double(parts[1]), n > 0, d > 0 else {
                    throw MediaFileError(path: path, "bad frame rate F\(value)")
                }
                rate = n / d
                guard CaptureLimits.frameRates.contains(rate) else {
                    throw MediaFileError(path: path, "frame rate F\(value) (\(rate) fps) is outside \(CaptureLimits.text(CaptureLimits.frameRates)) fps")
                }
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
        guard width > 0, height > 0 else {
            throw MediaFileError(path: path, "the header has no W (width) and H (height)")
        }
        self.width = width
        self.height = height
        self.frameRate = rate
        frameBytes = VideoFrame.byteCount(width: width, height: height)
        let frameLine = "FRAME\n".utf8.count
        if let left = file.remainingBytes(), left < frameLine + frameBytes {
            throw MediaFileError(path: path, "holds no complete frame: a \(width)x\(height) frame takes \(frameLine + frameBytes) bytes, the file has \(left) after its header")
        }
    }

    /// The next frame, or nil at the end of the file.
    public func nextFrame(timestamp: UInt64 = 0) throws(MediaFileError) -> VideoFrame? {
        guard try readFrameLine() else { return nil }
        let data = try file.read(frameBytes)
        guard data.count == frameBytes else {
            throw MediaFileError(path: file.path, "truncated frame: \(data.count) of \(frameBytes) bytes")
        }
        return VideoFrame(width: width, height: height, data: data, timestamp: timestamp)
    }

    /// The next frame read into a buffer of `pool` (the file camera: no allocation per frame
    /// once the pool is warm), or nil at the end of the file.
    public func nextFrame(timestamp: UInt64, from pool: inout VideoFramePool) throws(MediaFileError) -> VideoFrame? {
        guard try readFrameLine() else { return nil }
        let file = self.file, frameBytes = self.frameBytes
        return try pool.makeFrame(width: width, height: height, timestamp: timestamp) { (p) throws(MediaFileError) in
            let got = try file.read(into: UnsafeMutableRawBufferPointer(p))
            guard got == frameBytes else {
                throw MediaFileError(path: file.path, "truncated frame: \(got) of \(frameBytes) bytes")
            }
        }
    }

    private static let frameTag = Array("FRAME".utf8)

    /// Reads a frame's "FRAME" line: false at the end of the file.
    private func readFrameLine() throws(MediaFileError) -> Bool {
        guard let isFrame = try file.skipLine(startingWith: Self.frameTag) else { return false }
        guard isFrame else { throw MediaFileError(path: file.path, "expected FRAME") }
        return true
    }

    /// Back to the first frame (a file camera loops).
    public func rewind() throws(MediaFileError) {
        try file.seek(to: 0)
        _ = try file.skipLine(startingWith: [])
    }
}
