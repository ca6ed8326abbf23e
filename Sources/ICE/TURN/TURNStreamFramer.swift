/// Splits the byte stream from a TURN server over TCP or TLS into messages (RFC 8656 §3.2,
/// §12.5): a STUN message is 20 bytes plus its length; ChannelData is 4 bytes plus its
/// length rounded up to four. Anything else ends the stream (it cannot be resynchronised).
public struct TURNStreamFramer: Sendable {
    /// Bytes held beyond this without a complete message end the stream (a STUN message over
    /// TCP is at most 20 + 65,535 bytes; ChannelData 4 + 65,535 + 3).
    static let maximumBuffered = 65_560

    var buffer: [UInt8] = []
    /// True once the stream carried something that is neither STUN nor ChannelData.
    public private(set) var broken = false

    public init() {}

    /// Appends bytes read from the stream and returns the complete messages they finish
    /// (ChannelData without its padding).
    public mutating func append(_ bytes: some Sequence<UInt8>) -> [[UInt8]] {
        guard !broken else { return [] }
        buffer.append(contentsOf: bytes)
        var messages: [[UInt8]] = []
        var offset = 0
        while buffer.count - offset >= 4 {
            let first = buffer[offset]
            let length = Int(buffer[offset + 2]) << 8 | Int(buffer[offset + 3])
            let total: Int
            let keep: Int
            switch DatagramKind(firstByte: first) {
            case .stun:
                total = 20 + length
                keep = total
            case .turnChannel:
                total = 4 + (length + 3) / 4 * 4
                keep = 4 + length
            default:
                broken = true
                buffer = []
                return messages
            }
            guard buffer.count - offset >= total else { break }
            messages.append(Array(buffer[offset..<(offset + keep)]))
            offset += total
        }
        if offset > 0 { buffer.removeFirst(offset) }
        if buffer.count > Self.maximumBuffered {
            broken = true
            buffer = []
        }
        return messages
    }
}
