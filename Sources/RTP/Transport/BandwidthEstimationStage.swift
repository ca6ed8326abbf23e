/// The send-side bandwidth estimator as a stage (pion's gcc interceptor): it hears every
/// packet sent, the transport feedback, REMB and receiver-report loss and RTT, and its
/// `TargetTransferRate` sets the pacer, the RTX budget and the encoders. What it listens to
/// is negotiated by the other stages (transport-cc, goog-remb), so it adds nothing itself.
public struct BandwidthEstimationStage: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var constraints: BitrateConstraints
        /// libwebrtc processes the estimator every 25 ms.
        public var processInterval: Duration
        /// How much later than due the periodic work may run. It runs at the first poll at or
        /// after its time, and the pipeline's timer waits for it only this much longer: in a
        /// call it rides on the polls that frames (on the encoders' threads) and feedback make
        /// anyway, and the timer is the backstop for a sender whose streams have stopped (and
        /// whose peer sends no feedback either). The armed timer is not moved later when a poll
        /// did the work (moving it from an encoder's thread wakes the loop as well), so it expires
        /// about once per slack for nothing: at 25 ms a sender's loop woke 30 times a second
        /// (docs/performance.md, round 8), at 100 ms 12 (118 expiries of the pipeline's timer
        /// in a 10 s call, round 10; 56 at 1 s, the rest the pacer's and the reports'). Zero:
        /// on time, always.
        public var processSlack: Duration

        public init(constraints: BitrateConstraints = BitrateConstraints(), processInterval: Duration = .milliseconds(25),
                    processSlack: Duration = .seconds(1)) {
            self.constraints = constraints
            self.processInterval = processInterval
            self.processSlack = max(.zero, processSlack)
        }
    }

    public let configuration: Configuration
    public private(set) var estimator: GoogleCongestionController
    /// When the periodic work is due (a poll from then on runs it).
    private(set) var nextProcess: Duration
    /// The latest the periodic work waits for a poll: the pipeline's timer is armed for it.
    var processDeadline: Duration { nextProcess + configuration.processSlack }

    public init(configuration: Configuration = Configuration(), at now: Duration) {
        self.configuration = configuration
        estimator = GoogleCongestionController(constraints: configuration.constraints, at: now)
        nextProcess = now + configuration.processInterval
    }

    public func features(for kind: RTPMediaKind) -> RTPStageFeatures { Self.features(configuration, for: kind) }

    public static func features(_ configuration: Configuration, for kind: RTPMediaKind) -> RTPStageFeatures { .none }

    mutating func packetSent(_ packet: SentPacket) { estimator.onPacketSent(packet) }
    mutating func transportFeedback(_ feedback: RTCPTransportFeedback, at now: Duration) {
        estimator.onTransportFeedback(feedback, at: now)
    }
    mutating func remb(bitrate: Int, at now: Duration) { estimator.onREMB(bitrate: bitrate, at: now) }
    mutating func receiverReport(fractionLost: Double, roundTripTime: Duration?, at now: Duration) {
        estimator.onReceiverReport(fractionLost: fractionLost, roundTripTime: roundTripTime, at: now)
    }
    mutating func setConstraints(_ constraints: BitrateConstraints, at now: Duration) {
        estimator.setConstraints(constraints, at: now)
    }

    /// Runs the periodic work when due.
    mutating func process(at now: Duration) {
        guard now >= nextProcess else { return }
        nextProcess = now + configuration.processInterval
        _ = estimator.process(at: now)  // the change is read from `estimator.current`
    }

    mutating func takeProbeClusters() -> [ProbeCluster] { estimator.takeProbeClusters() }
}
