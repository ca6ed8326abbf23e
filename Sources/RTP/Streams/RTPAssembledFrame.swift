/// A frame the receiver rebuilt from consecutive packets.
public struct RTPAssembledFrame: Sendable, Equatable {
    public var timestamp: UInt32
    /// Extended sequence numbers of its first and last packets.
    public var firstSequenceNumber: Int64
    public var lastSequenceNumber: Int64
    public var isKeyframe: Bool
    /// False for frames that follow a lost frame until the next keyframe (a decoder would
    /// show corruption), true otherwise.
    public var isDecodable: Bool

    public var packetCount: Int { Int(lastSequenceNumber - firstSequenceNumber + 1) }
}
