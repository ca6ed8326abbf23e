import MediaPrimitives

/// Reads IVF files. Every field is checked: a wrong signature, a header size under 32, a
/// frame size beyond the file or `maxFrameSize`, or a truncated frame is an error.
public final class IVFReader {
    public let fourcc: String
    public let width: Int
    public let height: Int
    public let timebase: (numerator: Int, denominator: Int)
    /// The header's frame count (writers that crashed leave 0 here; read to the end instead).
    public let declaredFrameCount: Int
    public static let maxFrameSize = 16 << 20
    private let file: BinaryFile

    public struct Frame: Sendable, Equatable {
        public var data: [UInt8]
        public var pts: UInt64
    }

    public init(path: String) throws(MediaFileError) {
        file = try BinaryFile(path: path, mode: "rb")
        let h = try file.read(32)
        guard h.count == 32, h[0..<4].elementsEqual("DKIF".utf8) else { throw MediaFileError(path: path, "not an IVF file") }
        guard let version = h.readLittleEndian(UInt16.self, at: 4), version == 0,
              let headerSize = h.readLittleEndian(UInt16.self, at: 6), headerSize >= 32,
              let w = h.readLittleEndian(UInt16.self, at: 12), let ht = h.readLittleEndian(UInt16.self, at: 14),
              let den = h.readLittleEndian(UInt32.self, at: 16), let num = h.readLittleEndian(UInt32.self, at: 20),
              let count = h.readLittleEndian(UInt32.self, at: 24) else {
            throw MediaFileError(path: path, "bad IVF header")
        }
        guard w > 0, ht > 0, den > 0, num > 0 else {
            throw MediaFileError(path: path, "bad IVF size \(w)x\(ht) or time base \(num)/\(den)")
        }
        fourcc = String(decoding: h[8..<12], as: UTF8.self)
        width = Int(w)
        height = Int(ht)
        timebase = (Int(num), Int(den))
        declaredFrameCount = Int(count)
        if headerSize > 32 {
            let extra = try file.read(Int(headerSize) - 32)
            guard extra.count == Int(headerSize) - 32 else { throw MediaFileError(path: path, "truncated IVF header") }
        }
    }

    /// The next frame, nil at a clean end of file.
    public func nextFrame() throws(MediaFileError) -> Frame? {
        let h = try file.read(12)
        if h.isEmpty { return nil }
        guard h.count == 12, let size = h.readLittleEndian(UInt32.self, at: 0), let pts = h.readLittleEndian(UInt64.self, at: 4) else {
            throw MediaFileError(path: file.path, "truncated IVF frame header")
        }
        guard size > 0, Int(size) <= Self.maxFrameSize else {
            throw MediaFileError(path: file.path, "IVF frame size \(size) out of range")
        }
        let data = try file.read(Int(size))
        guard data.count == Int(size) else { throw MediaFileError(path: file.path, "truncated IVF frame") }
        return Frame(data: data, pts: pts)
    }

    /// All remaining frames.
    public func readAll() throws(MediaFileError) -> [Frame] {
        var frames: [Frame] = []
        while let f = try nextFrame() { frames.append(f) }
        return frames
    }
}
