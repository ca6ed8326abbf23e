import MediaPrimitives
/// Writes raw I420 video as YUV4MPEG2 (the format `vpxenc`, ffmpeg and mpv read), so captured
/// frames can be inspected and fed to reference encoders byte for byte.
public final class Y4MWriter {
    public let width: Int
    public let height: Int
    private let file: BinaryFile
    public private(set) var frameCount = 0

    /// `frameRate` is written as a fraction with denominator 1000 so 12.5 and 29.97 survive.
    public init(path: String, width: Int, height: Int, frameRate: Double) throws(MediaFileError) {
        self.width = width
        self.height = height
        file = try BinaryFile(path: path, mode: "wb")
        let (num, den) = Y4MWriter.fraction(frameRate)
        let header = "YUV4MPEG2 W\(width) H\(height) F\(num):\(den) Ip A1:1 C420jpeg\n"
        try file.write(Array(header.utf8))
    }

    static func fraction(_ rate: Double) -> (Int, Int) {
        let milli = Int((rate * 1000).rounded())
        if milli % 1000 == 0 { return (milli / 1000, 1) }
        return (milli, 1000)
    }

    public func write(_ frame: VideoFrame) throws(MediaFileError) {
        guard frame.width == width, frame.height == height,
              frame.data.count == VideoFrame.byteCount(width: width, height: height) else {
            throw MediaFileError(path: file.path,
                "frame is \(frame.width)x\(frame.height), the file is \(width)x\(height)")
        }
        try file.write(Array("FRAME\n".utf8))
        try file.write(frame.data)
        frameCount += 1
    }

    public func close() throws(MediaFileError) { try file.close() }
}
