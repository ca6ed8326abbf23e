#if canImport(Glibc)
import Glibc
#endif

/// What every target does with libFuzzer's bytes.
public enum FuzzInput {
    /// Splits an input into datagrams, so that one input drives a sequence of packets: each
    /// datagram is a 2-byte big-endian length and that many bytes; a last, shorter rest is a
    /// datagram too. An input with no framing at all is one datagram.
    public static func datagrams(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int = 64) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var offset = 0
        while offset < bytes.count, out.count < limit {
            guard offset + 2 <= bytes.count else { out.append(Array(bytes[offset...])); break }
            let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            let start = offset + 2
            let end = min(bytes.count, start + length)
            out.append(Array(bytes[start..<end]))
            offset = end
        }
        return out
    }

    /// The input as text (invalid UTF-8 becomes U+FFFD, as every caller that reads text does).
    public static func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Writes the input to this process's own file in /dev/shm (memory, not disk) and calls
    /// `body` with its path: the file readers take paths.
    public static func withFile<R>(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (String) throws -> R) rethrows -> R {
        let path = "/dev/shm/tincan-fuzz-\(getpid())"
        guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
        if let base = bytes.baseAddress, !bytes.isEmpty { _ = fwrite(base, 1, bytes.count, file) }
        fclose(file)
        return try body(path)
    }

    /// Fails the run (libFuzzer keeps the input) when an invariant of a parser does not hold.
    public static func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError(message()) }
    }
}
