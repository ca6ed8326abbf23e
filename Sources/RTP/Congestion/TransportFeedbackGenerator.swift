/// The receiving side of transport-wide congestion control
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3): records when each transport-wide
/// sequence number arrived and sends the arrivals back as RTCP transport feedback.
///
/// PLACEHOLDER API (the real generator replaces the body, keeping these signatures).
public struct TransportFeedbackGenerator: Sendable {
    public let senderSSRC: UInt32
    /// How often feedback goes out while packets arrive (libwebrtc: 50-250 ms, by rate).
    public var interval: Duration

    public init(senderSSRC: UInt32, interval: Duration = .milliseconds(50)) {
        self.senderSSRC = senderSSRC
        self.interval = interval
    }

    /// One arrival: the packet's transport-wide sequence number (as on the wire) and media SSRC.
    public mutating func onPacketReceived(transportSequenceNumber: UInt16, mediaSSRC: UInt32, at now: Duration) {}

    /// When `poll` next has something to send (nil: nothing pending).
    public var nextFeedbackTime: Duration? { nil }

    /// The feedback due at `now`, if any (usually one message, more after a long gap).
    public mutating func poll(at now: Duration) -> [RTCPTransportFeedback] { [] }
}
