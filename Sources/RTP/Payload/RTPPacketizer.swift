/// What a sender needs of a payload format to put an encoded frame into RTP payloads (the
/// counterpart of `RTPDepacketizer`): one frame in, one payload per packet out, each with
/// whether it carries the RTP marker bit. A registered codec brings its own.
public protocol RTPPacketizer: Sendable {
    mutating func packetize(
        _ frame: UnsafeRawBufferPointer,
        emit: (_ payload: UnsafeRawBufferPointer, _ marker: Bool) throws -> Void
    ) rethrows
}

extension VP8Packetizer: RTPPacketizer {}

extension OpusPacketizer: RTPPacketizer {
    /// One Opus packet is one payload (RFC 7587 §4.2), without the marker bit: Tincan
    /// sends no DTX, so no talkspurt begins after silence (RFC 3551 §4.1).
    public mutating func packetize(
        _ frame: UnsafeRawBufferPointer,
        emit: (_ payload: UnsafeRawBufferPointer, _ marker: Bool) throws -> Void
    ) rethrows {
        try emit(frame, false)
    }
}
