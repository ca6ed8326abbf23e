/// A bounds-checked big-endian reader over borrowed bytes: every read throws
/// `RTPError.truncated` instead of reading past the end (UnsafeRawBufferPointer's own
/// subscript only checks in debug builds).
@usableFromInline
struct ByteReader {
    @usableFromInline let buffer: UnsafeRawBufferPointer
    @usableFromInline var offset: Int

    @inlinable init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0) {
        self.buffer = buffer
        self.offset = offset
    }

    @inlinable var remaining: Int { buffer.count - offset }

    @inlinable mutating func require(_ n: Int) throws(RTPError) {
        guard n >= 0, offset <= buffer.count, buffer.count - offset >= n else { throw .truncated }
    }

    @inlinable mutating func u8() throws(RTPError) -> UInt8 {
        try require(1)
        defer { offset += 1 }
        return buffer[offset]
    }

    @inlinable mutating func u16() throws(RTPError) -> UInt16 {
        try require(2)
        defer { offset += 2 }
        return UInt16(buffer[offset]) << 8 | UInt16(buffer[offset + 1])
    }

    @inlinable mutating func u24() throws(RTPError) -> UInt32 {
        try require(3)
        defer { offset += 3 }
        return UInt32(buffer[offset]) << 16 | UInt32(buffer[offset + 1]) << 8 | UInt32(buffer[offset + 2])
    }

    @inlinable mutating func u32() throws(RTPError) -> UInt32 {
        try require(4)
        defer { offset += 4 }
        return UInt32(buffer[offset]) << 24 | UInt32(buffer[offset + 1]) << 16
            | UInt32(buffer[offset + 2]) << 8 | UInt32(buffer[offset + 3])
    }

    @inlinable mutating func u64() throws(RTPError) -> UInt64 {
        let high = try u32()
        let low = try u32()
        return UInt64(high) << 32 | UInt64(low)
    }

    @inlinable mutating func skip(_ n: Int) throws(RTPError) {
        try require(n)
        offset += n
    }

    /// Reads `n` bytes as a range of offsets into the buffer.
    @inlinable mutating func range(_ n: Int) throws(RTPError) -> Range<Int> {
        try require(n)
        defer { offset += n }
        return offset..<(offset + n)
    }

    @inlinable mutating func bytes(_ n: Int) throws(RTPError) -> [UInt8] {
        let r = try range(n)
        return Array(buffer[r])
    }
}

/// Safe big-endian reads at an absolute offset (nil when out of range).
@inlinable
func readUInt16(_ buffer: UnsafeRawBufferPointer, _ offset: Int) -> UInt16? {
    guard offset >= 0, offset + 2 <= buffer.count else { return nil }
    return UInt16(buffer[offset]) << 8 | UInt16(buffer[offset + 1])
}

extension Array where Element == UInt8 {
    @inlinable mutating func appendBigEndian(_ v: UInt16) {
        append(UInt8(truncatingIfNeeded: v >> 8))
        append(UInt8(truncatingIfNeeded: v))
    }

    @inlinable mutating func appendBigEndian24(_ v: UInt32) {
        append(UInt8(truncatingIfNeeded: v >> 16))
        append(UInt8(truncatingIfNeeded: v >> 8))
        append(UInt8(truncatingIfNeeded: v))
    }

    @inlinable mutating func appendBigEndian(_ v: UInt32) {
        append(UInt8(truncatingIfNeeded: v >> 24))
        append(UInt8(truncatingIfNeeded: v >> 16))
        append(UInt8(truncatingIfNeeded: v >> 8))
        append(UInt8(truncatingIfNeeded: v))
    }

    @inlinable mutating func appendBigEndian(_ v: UInt64) {
        appendBigEndian(UInt32(truncatingIfNeeded: v >> 32))
        appendBigEndian(UInt32(truncatingIfNeeded: v))
    }

    @inlinable mutating func setBigEndian(_ v: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: v >> 8)
        self[offset + 1] = UInt8(truncatingIfNeeded: v)
    }
}

/// Runs a typed-throwing body over an array's bytes (Array.withUnsafeBytes only rethrows
/// untyped errors).
@inlinable
func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(RTPError) -> R) throws(RTPError) -> R {
    let result: Result<R, RTPError> = bytes.withUnsafeBytes { raw in
        Result { () throws(RTPError) -> R in try body(raw) }
    }
    return try result.get()
}
