/// Statistics of a received RTP stream, named as in W3C webrtc-stats
/// (RTCInboundRtpStreamStats, RTCReceivedRtpStreamStats).
public struct RTCInboundRtpStreamStats: Sendable, Equatable {
    public var ssrc: UInt32 = 0
    /// Distinct media packets received (original or recovered through RTX).
    public var packetsReceived: Int64 = 0
    /// Expected minus received (RFC 3550 §A.3); can go down when late packets arrive.
    public var packetsLost: Int64 = 0
    /// Interarrival jitter in seconds (RFC 3550 §A.8).
    public var jitter: Double = 0
    /// Payload bytes and header (plus padding) bytes of the packets counted above.
    public var bytesReceived: Int64 = 0
    public var headerBytesReceived: Int64 = 0
    /// Packets dropped as duplicates, too late, or of an unexpected SSRC/payload type.
    public var packetsDiscarded: Int64 = 0
    /// NACK, PLI and FIR packets sent.
    public var nackCount: Int64 = 0
    public var pliCount: Int64 = 0
    public var firCount: Int64 = 0
    /// Packets and payload bytes that arrived through RTX.
    public var retransmittedPacketsReceived: Int64 = 0
    public var retransmittedBytesReceived: Int64 = 0
    /// Complete frames handed on, of which keyframes; frames given up as incomplete.
    public var framesReceived: Int64 = 0
    public var keyFramesReceived: Int64 = 0
    public var framesDropped: Int64 = 0
    /// Not webrtc-stats: of `framesDropped`, the frames whose packets were all there but
    /// whose payload descriptors did not parse (RFC 7741 §4.2 for VP8): malformed input.
    public var framesDroppedMalformed: Int64 = 0

    public init() {}
}

/// Statistics of a sent RTP stream (RTCOutboundRtpStreamStats, RTCSentRtpStreamStats).
public struct RTCOutboundRtpStreamStats: Sendable, Equatable {
    public var ssrc: UInt32 = 0
    /// Packets and payload bytes sent, retransmissions included.
    public var packetsSent: Int64 = 0
    public var bytesSent: Int64 = 0
    public var headerBytesSent: Int64 = 0
    public var retransmittedPacketsSent: Int64 = 0
    public var retransmittedBytesSent: Int64 = 0
    /// NACK, PLI and FIR packets received.
    public var nackCount: Int64 = 0
    public var pliCount: Int64 = 0
    public var firCount: Int64 = 0

    public init() {}
}

/// What the remote receiver reported about our stream (RTCRemoteInboundRtpStreamStats).
public struct RTCRemoteInboundRtpStreamStats: Sendable, Equatable {
    public var ssrc: UInt32 = 0
    public var packetsLost: Int64 = 0
    public var fractionLost: Double = 0
    /// Seconds.
    public var jitter: Double = 0
    /// Seconds, from LSR/DLSR (RFC 3550 §6.4.1); nil until a report echoes one of our SRs.
    public var roundTripTime: Double?
    /// Report blocks received about this stream (webrtc-stats `reportsReceived`).
    public var reportsReceived: Int64 = 0

    public init() {}
}
