/// What a TURN client refused or could not do, by reason.
public struct TURNClientCounters: Sendable, Equatable {
    /// Not STUN, not ChannelData, or a STUN message that does not parse.
    public var malformedMessages = 0
    /// A response to no request of ours.
    public var unmatchedResponses = 0
    /// A response whose MESSAGE-INTEGRITY(-SHA256) does not verify.
    public var unauthenticatedResponses = 0
    /// A Data indication from a peer without a permission, or ChannelData on an unbound channel.
    public var unexpectedPeerData = 0
    /// Data the application sent with no allocation, or beyond the per-peer queue.
    public var droppedSends = 0

    public init() {}
}
