#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors reading or writing media files. Messages name the file so a user can act on them.
public struct MediaFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}

/// The one owner of a stdio `FILE*`: closes it on `close()` or deinit. Not shared between
/// threads (callers own one per file).
public final class BinaryFile {
    public let path: String
    private var handle: UnsafeMutablePointer<FILE>?

    /// Opens `path` with an fopen mode ("rb", "wb", "r+b").
    public init(path: String, mode: String) throws(MediaFileError) {
        self.path = path
        guard let handle = fopen(path, mode) else {
            throw MediaFileError(path: path, String(cString: strerror(errno)))
        }
        self.handle = handle
    }

    deinit { if let handle { fclose(handle) } }

    public func write(_ bytes: [UInt8]) throws(MediaFileError) {
        try check(bytes.withUnsafeBytes { put($0) })
    }

    public func write(_ samples: [Int16]) throws(MediaFileError) {
        try check(samples.withUnsafeBytes { put($0) })
    }

    private func put(_ raw: UnsafeRawBufferPointer) -> Bool {
        guard let handle else { return false }
        return raw.count == 0 || fwrite(raw.baseAddress, 1, raw.count, handle) == raw.count
    }

    private func check(_ ok: Bool) throws(MediaFileError) {
        guard ok else {
            throw MediaFileError(path: path, handle == nil ? "file is closed" : "write failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Reads up to `count` bytes; fewer only at end of file.
    public func read(_ count: Int) throws(MediaFileError) -> [UInt8] {
        guard let handle else { throw MediaFileError(path: path, "file is closed") }
        var out = [UInt8](repeating: 0, count: count)
        let got = out.withUnsafeMutableBytes { fread($0.baseAddress, 1, count, handle) }
        if got < count {
            if ferror(handle) != 0 { throw MediaFileError(path: path, "read failed") }
            out.removeLast(count - got)
        }
        return out
    }

    /// Reads one line up to "\n" (not included), at most `limit` bytes; nil at end of file.
    public func readLine(limit: Int = 4096) throws(MediaFileError) -> [UInt8]? {
        guard let handle else { throw MediaFileError(path: path, "file is closed") }
        var line: [UInt8] = []
        while true {
            let c = fgetc(handle)
            if c == EOF { return line.isEmpty ? nil : line }
            if c == 0x0A { return line }
            line.append(UInt8(truncatingIfNeeded: c))
            if line.count > limit { throw MediaFileError(path: path, "line longer than \(limit) bytes") }
        }
    }

    public func seek(to offset: Int) throws(MediaFileError) {
        guard let handle, fseek(handle, offset, SEEK_SET) == 0 else {
            throw MediaFileError(path: path, "seek failed")
        }
    }

    public func flush() { if let handle { fflush(handle) } }

    public func close() throws(MediaFileError) {
        guard let handle else { return }
        self.handle = nil
        if fclose(handle) != 0 { throw MediaFileError(path: path, "close failed") }
    }
}

/// Little-endian integers in byte arrays: WAV, IVF, Ogg and Opus headers are all little-endian.
extension Array where Element == UInt8 {
    public mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        var v = value  // shifts are endian-independent: low byte first is little-endian
        for _ in 0..<MemoryLayout<T>.size {
            append(UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
    }

    /// Reads a little-endian integer at `offset`; nil when it would run past the end.
    public func readLittleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T? {
        let size = MemoryLayout<T>.size
        guard offset >= 0, offset + size <= count else { return nil }
        var value: T = 0
        for i in 0..<size { value |= T(self[offset + i]) << (8 * i) }
        return value
    }
}
