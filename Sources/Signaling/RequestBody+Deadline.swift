import Hummingbird
import NIOCore

extension RequestBody {
    /// The whole body, at most `limit` bytes, within `timeout`: a client that trickles its
    /// body byte by byte does not hold a WHIP endpoint. Throws `SignalingError.timeout` when
    /// it is late, Hummingbird's error when it is too large.
    package func collect(upTo limit: Int, within timeout: Duration) async throws -> ByteBuffer {
        let body = self
        return try await withThrowingTaskGroup(of: ByteBuffer.self) { group in
            group.addTask { try await body.collect(upTo: limit) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw SignalingError.timeout("the request body")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }
}
