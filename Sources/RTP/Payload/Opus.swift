/// Opus in RTP (RFC 7587): one Opus packet per RTP payload, no payload header; the RTP
/// clock is always 48 kHz; every packet is a whole frame and independently decodable.
public enum OpusDepacketizer: RTPDepacketizer {
    public static var everyPacketIsFrame: Bool { true }
    public static let clockRate: UInt32 = 48_000

    public static func isFrameStart(_ payload: UnsafeRawBufferPointer) -> Bool { true }
    public static func isKeyframe(_ firstPayload: UnsafeRawBufferPointer) -> Bool { true }

    public static func appendFrameData(_ payload: UnsafeRawBufferPointer, to frame: inout [UInt8]) throws(RTPError) {
        // RFC 7587 §4.2: an empty payload is not a valid Opus packet.
        guard !payload.isEmpty else { throw .truncated }
        frame.append(contentsOf: payload)
    }
}

/// Emits each Opus packet as one RTP payload and tracks the 48 kHz RTP timestamp.
public struct OpusPacketizer: Sendable {
    /// Opus packets are at most 1275 bytes per frame (RFC 6716 §3.4); more cannot be sent.
    public var maxPayloadSize: Int
    public private(set) var timestamp: UInt32

    public init(maxPayloadSize: Int = 1275, initialTimestamp: UInt32 = 0) {
        self.maxPayloadSize = maxPayloadSize
        self.timestamp = initialTimestamp
    }

    /// Calls `emit` with the payload and its RTP timestamp, then advances the timestamp by
    /// the packet's duration in samples at 48 kHz (e.g. 960 for 20 ms).
    public mutating func packetize(
        _ opusPacket: UnsafeRawBufferPointer, samplesPerChannelAt48kHz: UInt32,
        emit: (_ payload: UnsafeRawBufferPointer, _ timestamp: UInt32) throws -> Void
    ) throws {
        guard !opusPacket.isEmpty else { throw RTPError.truncated }
        guard opusPacket.count <= maxPayloadSize else { throw RTPError.valueTooLarge("Opus packet") }
        try emit(opusPacket, timestamp)
        timestamp &+= samplesPerChannelAt48kHz
    }
}
