/// Answers NACKs (RFC 4585 §6.2.1) with retransmissions (RFC 4588), within a budget: the
/// pipeline's NACK responder (pion's `nack.ResponderInterceptor`, with libwebrtc's limit on
/// the retransmission rate). On a full link every NACK answered at once makes the loss worse
/// (an RTX storm), so retransmissions share a token bucket at `budgetFraction` of the
/// target, and a packet older than its use (the receiver's jitter buffer has moved on) is
/// not resent. Both refusals are counted.
public struct NACKResponderStage: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// The share of the target bitrate retransmissions may take.
        public var budgetFraction: Double = 0.25
        /// The token bucket holds this much time at the budget rate (the burst allowed
        /// after a quiet spell).
        public var budgetWindow: Duration = .milliseconds(200)
        /// A packet is resent while younger than max(`minimumMaximumAge`,
        /// `roundTripTimeFactor` × RTT + `ageMargin`): past that, the answer arrives after the
        /// receiver gave up on it. libwebrtc keeps max(1 s, 3 × RTT) (`RtpPacketHistory`), and
        /// jitter buffers wait about a second (Tincan's `maxWait`): a packet that sat 300 ms in a
        /// thin link's queue is NACKed some 450 ms after it left, and refusing it then made
        /// the receiver wait its whole second for nothing.
        public var minimumMaximumAge: Duration = .seconds(1)
        public var roundTripTimeFactor: Double = 3
        public var ageMargin: Duration = .zero

        public init() {}
    }

    public struct Statistics: Sendable, Equatable {
        /// Retransmissions queued for the pacer.
        public var retransmissionsQueued = 0
        public var retransmissionBytesQueued = 0
        /// NACKed packets refused because the budget was spent.
        public var refusedOverBudget = 0
        /// NACKed packets refused as too old to be of use.
        public var refusedTooOld = 0
        /// NACKed packets no longer in the history.
        public var notInHistory = 0
    }

    public let configuration: Configuration
    public private(set) var statistics = Statistics()
    private var budget: IntervalBudget
    private var lastRefill: Duration

    public init(configuration: Configuration = Configuration(), targetBitrate: Int, at now: Duration) {
        self.configuration = configuration
        budget = IntervalBudget(targetRate: Int(Double(targetBitrate) * configuration.budgetFraction),
                                window: configuration.budgetWindow, canBuildUpUnderuse: true)
        budget.increase(by: configuration.budgetWindow)  // start with a full bucket
        lastRefill = now
    }

    /// NACK for video (libwebrtc offers no NACK for Opus: a late audio packet is concealed).
    public func features(for kind: RTPMediaKind) -> RTPStageFeatures { Self.features(configuration, for: kind) }

    public static func features(_ configuration: Configuration, for kind: RTPMediaKind) -> RTPStageFeatures {
        kind == .video ? RTPStageFeatures(rtcpFeedback: [RTCPFeedbackValue.nack]) : .none
    }

    public mutating func setTargetBitrate(_ bitsPerSecond: Int) {
        budget.setTargetRate(Int(Double(bitsPerSecond) * configuration.budgetFraction))
    }

    /// The budget's rate, bit/s.
    public var budgetRate: Int { budget.targetRate }

    /// The age past which a retransmission is of no use.
    public func maximumAge(roundTripTime: Duration?) -> Duration {
        guard let rtt = roundTripTime else { return configuration.minimumMaximumAge }
        return max(configuration.minimumMaximumAge, rtt * configuration.roundTripTimeFactor + configuration.ageMargin)
    }

    /// Whether to resend a NACKed packet first sent `age` ago.
    public mutating func shouldRetransmit(age: Duration, roundTripTime: Duration?, at now: Duration) -> Bool {
        if now > lastRefill {
            budget.increase(by: now - lastRefill)
            lastRefill = now
        }
        guard age <= maximumAge(roundTripTime: roundTripTime) else {
            statistics.refusedTooOld += 1
            return false
        }
        guard budget.bytesRemaining > 0 else {
            statistics.refusedOverBudget += 1
            return false
        }
        return true
    }

    /// A retransmission of `bytes` was queued: charged to the budget.
    public mutating func retransmissionQueued(bytes: Int) {
        budget.use(bytes)
        statistics.retransmissionsQueued += 1
        statistics.retransmissionBytesQueued += bytes
    }

    mutating func countNotInHistory(_ n: Int) { statistics.notInHistory += n }
}
