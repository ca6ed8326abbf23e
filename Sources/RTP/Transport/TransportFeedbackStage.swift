/// Transport-wide congestion control feedback, both ways
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01; pion's twcc interceptors): on the
/// send side the controller stamps the transport-wide sequence number at egress, and the
/// feedback that comes back goes to the estimator; on the receive side the arrivals feed the
/// `TransportFeedbackGenerator`, whose feedback the controller sends.
public struct TransportFeedbackStage: Sendable {
    public private(set) var generator: TransportFeedbackGenerator
    public private(set) var feedbackSent = 0
    public private(set) var feedbackReceived = 0
    /// Arrivals given to the generator, and the last transport-wide sequence number seen.
    public private(set) var packetsReceived = 0
    public private(set) var lastReceivedSequenceNumber: UInt16?

    public init(senderSSRC: UInt32, interval: Duration = .milliseconds(50)) {
        generator = TransportFeedbackGenerator(senderSSRC: senderSSRC, interval: interval)
    }

    /// transport-cc and its header extension on every media section (libwebrtc offers it on
    /// audio too: one sequence spans the transport).
    public static func features(for kind: RTPMediaKind) -> RTPStageFeatures {
        RTPStageFeatures(
            rtcpFeedback: [RTCPFeedbackValue.transportWideCongestionControl],
            headerExtensions: [RTPHeaderExtensionURI.transportSequenceNumber])
    }

    mutating func packetReceived(transportSequenceNumber: UInt16, mediaSSRC: UInt32, at now: Duration) {
        generator.onPacketReceived(transportSequenceNumber: transportSequenceNumber, mediaSSRC: mediaSSRC, at: now)
        packetsReceived += 1
        lastReceivedSequenceNumber = transportSequenceNumber
    }

    var nextFeedbackTime: Duration? { generator.nextFeedbackTime }

    mutating func poll(at now: Duration) -> [RTCPTransportFeedback] {
        let feedback = generator.poll(at: now)
        feedbackSent += feedback.count
        return feedback
    }

    mutating func countReceived() { feedbackReceived += 1 }
}
