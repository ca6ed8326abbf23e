/// RTCP the pipeline made (feedback, REMB, sender reports) waiting for `poll`: a list of
/// byte buffers that keep their capacity. RTCP is not paced (libwebrtc sends it at once:
/// it is small, and late feedback misleads the sender's estimator).
struct RTCPOutbox: Sendable {
    private var buffers: [[UInt8]] = []
    private(set) var count = 0
    /// Messages that could not be written or whose emit failed.
    private(set) var dropped = 0

    var isEmpty: Bool { count == 0 }

    /// Adds one message written by `write`; a write that throws is counted as dropped.
    mutating func append(_ write: (inout [UInt8]) throws -> Void) {
        if count == buffers.count {
            var b: [UInt8] = []
            b.reserveCapacity(256)
            buffers.append(b)
        }
        buffers[count].removeAll(keepingCapacity: true)
        do {
            try write(&buffers[count])
            count += 1
        } catch {
            dropped += 1
        }
    }

    /// Emits every message in order and empties the outbox; when `emit` throws, the rest is
    /// dropped (counted) and the error rethrown.
    mutating func drain(_ emit: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        let n = count
        count = 0
        for i in 0..<n {
            do {
                try buffers[i].withUnsafeBytes { try emit($0) }
            } catch {
                dropped += n - i
                throw error
            }
        }
    }
}
