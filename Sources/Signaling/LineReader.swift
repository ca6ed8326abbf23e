import Foundation
import Synchronization

/// Reads text lines from a file descriptor (a terminal, a pipe) without blocking the Swift
/// concurrency pool: each blocking `read` runs on a Dispatch thread.
public final class FileHandleLineReader: Sendable {
    private let handle: FileHandle
    private struct State {
        var buffer: [UInt8] = []
        var atEnd = false
    }
    private let state = Mutex(State())

    public init(_ handle: FileHandle = .standardInput) {
        self.handle = handle
    }

    /// The next line without its line ending, or nil at the end of the input.
    public func nextLine() async throws -> String? {
        while true {
            let line: String?? = state.withLock { s in
                if let newline = s.buffer.firstIndex(of: 0x0A) {
                    var bytes = Array(s.buffer[..<newline])
                    s.buffer.removeSubrange(...newline)
                    if bytes.last == 0x0D { bytes.removeLast() }
                    return .some(String(decoding: bytes, as: UTF8.self))
                }
                if s.atEnd {
                    if s.buffer.isEmpty { return .some(nil) }
                    defer { s.buffer = [] }
                    return .some(String(decoding: s.buffer, as: UTF8.self))
                }
                return nil
            }
            if let line { return line }
            let handle = self.handle
            let data: Data = await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: handle.availableData) }
            }
            state.withLock { s in
                if data.isEmpty { s.atEnd = true } else { s.buffer.append(contentsOf: data) }
            }
        }
    }
}
