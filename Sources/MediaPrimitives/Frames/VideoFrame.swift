/// One uncompressed picture in I420 (planar Y, then U, then V at half size each way),
/// the layout libvpx and libyuv take without conversion.
public struct VideoFrame: Sendable {
    public var width: Int
    public var height: Int
    /// Y plane (`width * height`), then U and V (`chromaWidth * chromaHeight` each).
    public var data: [UInt8]
    /// Capture time on the monotonic clock, in nanoseconds. Audio and video of one stream use
    /// the same clock, so a receiver can line them up (RTP timestamps derive from it).
    public var timestamp: UInt64

    public var chromaWidth: Int { (width + 1) / 2 }
    public var chromaHeight: Int { (height + 1) / 2 }
    public static func byteCount(width: Int, height: Int) -> Int {
        width * height + 2 * ((width + 1) / 2) * ((height + 1) / 2)
    }

    public init(width: Int, height: Int, data: [UInt8], timestamp: UInt64) {
        self.width = width
        self.height = height
        self.data = data
        self.timestamp = timestamp
    }

    /// A black picture (Y 16, U/V 128: video-range black), sent while a track is disabled.
    public static func black(width: Int, height: Int, timestamp: UInt64) -> VideoFrame {
        let luma = width * height
        var data = [UInt8](repeating: 128, count: byteCount(width: width, height: height))
        for i in 0..<luma { data[i] = 16 }
        return VideoFrame(width: width, height: height, data: data, timestamp: timestamp)
    }
}
