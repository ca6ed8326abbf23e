import MediaPrimitives

/// Writes VP8 frames as IVF, the container `vpxenc` writes and `vpxdec` reads: a 32-byte
/// header ("DKIF", fourcc VP80, size, time base, frame count) and a 12-byte header per frame
/// (size, 64-bit pts). The frame count is patched on close.
public final class IVFWriter {
    public let width: Int
    public let height: Int
    /// Seconds per pts unit as a fraction (default 1/90000: the video RTP clock).
    public let timebase: (numerator: Int, denominator: Int)
    private let file: BinaryFile
    private var firstTimestamp: UInt64?
    public private(set) var frameCount = 0

    public init(path: String, width: Int, height: Int,
                timebase: (numerator: Int, denominator: Int) = (1, MediaTimestamp.videoClockRate)) throws(MediaFileError) {
        guard (1...65535).contains(width), (1...65535).contains(height), timebase.numerator > 0, timebase.denominator > 0 else {
            throw MediaFileError(path: path, "bad IVF size \(width)x\(height) or time base \(timebase.numerator)/\(timebase.denominator)")
        }
        self.width = width
        self.height = height
        self.timebase = timebase
        file = try BinaryFile(path: path, mode: "wb")
        try file.write(header(frameCount: 0))
    }

    private func header(frameCount: Int) -> [UInt8] {
        var h = Array("DKIF".utf8)
        h.appendLittleEndian(UInt16(0))            // version
        h.appendLittleEndian(UInt16(32))           // header size
        h += Array("VP80".utf8)
        h.appendLittleEndian(UInt16(width))
        h.appendLittleEndian(UInt16(height))
        h.appendLittleEndian(UInt32(timebase.denominator))  // "rate": time base denominator
        h.appendLittleEndian(UInt32(timebase.numerator))    // "scale": time base numerator
        h.appendLittleEndian(UInt32(truncatingIfNeeded: frameCount))
        h.appendLittleEndian(UInt32(0))
        return h
    }

    /// Writes a frame whose pts is its capture time since the first frame, in time base units.
    public func write(_ frame: EncodedVideoFrame) throws(MediaFileError) {
        let first = firstTimestamp ?? frame.timestamp
        firstTimestamp = first
        let ns = frame.timestamp >= first ? frame.timestamp - first : 0
        // pts = ns * den / (num * 1e9), computed without overflow for any realistic duration.
        let units = MediaTimestamp.units(fromNanoseconds: ns, clockRate: timebase.denominator) / UInt64(timebase.numerator)
        try write(frame.data, pts: units)
    }

    /// Writes a frame with an explicit pts (time base units).
    public func write(_ data: [UInt8], pts: UInt64) throws(MediaFileError) {
        var h: [UInt8] = []
        h.appendLittleEndian(UInt32(data.count))
        h.appendLittleEndian(pts)
        try file.write(h)
        try file.write(data)
        frameCount += 1
    }

    public func close() throws(MediaFileError) {
        try file.seek(to: 0)
        try file.write(header(frameCount: frameCount))
        try file.close()
    }
}
