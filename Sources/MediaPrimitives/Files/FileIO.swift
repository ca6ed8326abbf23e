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
        try read(count, of: UInt8.self)
    }

    /// Reads up to `count` little-endian integers (16-bit PCM samples); fewer only at end of
    /// file, and never a part of one.
    ///
    /// Memory follows what the file holds, not what the caller asks for: a header may claim
    /// gigabytes (a 10-byte Y4M declaring 16384x16384 frames) and a short file then costs
    /// only its own size. A large read takes what a regular file has left, and grows in
    /// chunks where the size is not known (a pipe) or the file grows meanwhile.
    public func read<T: FixedWidthInteger>(_ count: Int, of _: T.Type) throws(MediaFileError) -> [T] {
        guard let handle else { throw MediaFileError(path: path, "file is closed") }
        guard count > 0 else { return [] }
        let size = MemoryLayout<T>.size
        var capacity = min(count, BinaryFile.chunkBytes / size)
        if count > capacity, let left = remainingBytes() { capacity = min(count, max(left / size, 1)) }
        var out = [T](repeating: 0, count: capacity)
        var filled = 0
        while true {
            let got = out.withUnsafeMutableBufferPointer { b in
                fread(b.baseAddress.map { $0 + filled }, size, b.count - filled, handle)
            }
            filled += got
            if filled < out.count {
                if ferror(handle) != 0 { throw MediaFileError(path: path, "read failed: \(String(cString: strerror(errno)))") }
                out.removeLast(out.count - filled)
                break
            }
            if filled == count { break }
            // All that was expected is in: read on only if there is more (the file grew, or
            // is a pipe whose size nobody knows).
            let more = remainingBytes().map { $0 / size } ?? max(filled, BinaryFile.chunkBytes / size)
            if more == 0 { break }
            out.append(contentsOf: repeatElement(0, count: min(count - filled, more)))
        }
        #if _endian(big)
        for i in out.indices { out[i] = T(littleEndian: out[i]) }
        #endif
        return out
    }

    /// Reads up to `buffer.count` bytes into the caller's buffer (a pooled frame): fewer only
    /// at end of file. Allocates nothing.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(MediaFileError) -> Int {
        guard let handle else { throw MediaFileError(path: path, "file is closed") }
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let got = fread(base, 1, buffer.count, handle)
        if got < buffer.count, ferror(handle) != 0 {
            throw MediaFileError(path: path, "read failed: \(String(cString: strerror(errno)))")
        }
        return got
    }

    /// Reads under 1 MiB allocate what they ask for; larger ones look at the file first.
    static let chunkBytes = 1 << 20

    /// Bytes between the read position and the end of a regular file; nil for pipes and
    /// devices, whose size is unknown.
    public func remainingBytes() -> Int? {
        guard let handle else { return nil }
        var st = stat()
        guard fstat(fileno(handle), &st) == 0, (st.st_mode & mode_t(S_IFMT)) == mode_t(S_IFREG) else { return nil }
        let at = ftello(handle)
        guard at >= 0 else { return nil }
        return max(0, Int(st.st_size) - Int(at))
    }

    /// Moves the read position `count` bytes on (skipping a chunk of no interest).
    public func skip(_ count: Int) throws(MediaFileError) {
        guard let handle, fseeko(handle, off_t(count), SEEK_CUR) == 0 else {
            throw MediaFileError(path: path, "seek failed")
        }
    }

    /// Reads one line (at most `limit` bytes) without keeping it: whether it starts with
    /// `prefix`, or nil at end of file. Allocates nothing (a Y4M "FRAME" line per frame).
    public func skipLine(startingWith prefix: [UInt8], limit: Int = 4096) throws(MediaFileError) -> Bool? {
        guard let handle else { throw MediaFileError(path: path, "file is closed") }
        var n = 0, matches = true
        while true {
            let c = fgetc(handle)
            if c == EOF { return n == 0 ? nil : matches && n >= prefix.count }
            if c == 0x0A { return matches && n >= prefix.count }
            if n < prefix.count && UInt8(truncatingIfNeeded: c) != prefix[n] { matches = false }
            n += 1
            if n > limit { throw MediaFileError(path: path, "line longer than \(limit) bytes") }
        }
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
