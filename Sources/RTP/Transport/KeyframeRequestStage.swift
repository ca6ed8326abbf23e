/// Turns PLI (RFC 4585 §6.3.1) and FIR (RFC 5104 §4.3.1) into keyframe requests for the
/// encoder, at most one per stream per `minimumInterval` or per RTT, whichever is longer: a
/// keyframe costs several frames' worth of bits, and requests repeated before the first
/// keyframe could arrive ask for the same picture (libwebrtc ignores requests within an
/// RTT of the last). Suppressed requests are counted.
public struct KeyframeRequestStage: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var minimumInterval: Duration = .milliseconds(300)
        public var answersPictureLossIndication = true
        public var answersFullIntraRequest = true

        public init() {}
    }

    public struct Statistics: Sendable, Equatable {
        public var forwarded = 0
        public var suppressed = 0
    }

    public let configuration: Configuration
    public private(set) var statistics = Statistics()

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public func features(for kind: RTPMediaKind) -> RTPStageFeatures { Self.features(configuration, for: kind) }

    public static func features(_ configuration: Configuration, for kind: RTPMediaKind) -> RTPStageFeatures {
        guard kind == .video else { return .none }
        var f = RTPStageFeatures()
        if configuration.answersPictureLossIndication { f.rtcpFeedback.append(RTCPFeedbackValue.pictureLossIndication) }
        if configuration.answersFullIntraRequest { f.rtcpFeedback.append(RTCPFeedbackValue.fullIntraRequest) }
        return f
    }

    /// Whether a request for a stream whose last forwarded request was at `last` goes to the
    /// encoder now; updates `last` when it does.
    public mutating func shouldForward(
        _ reason: KeyframeRequestReason, last: inout Duration?, roundTripTime: Duration?, at now: Duration
    ) -> Bool {
        switch reason {
        case .pictureLossIndication where !configuration.answersPictureLossIndication: return false
        case .fullIntraRequest where !configuration.answersFullIntraRequest: return false
        default: break
        }
        let interval = max(configuration.minimumInterval, roundTripTime ?? .zero)
        if let last, now - last < interval {
            statistics.suppressed += 1
            return false
        }
        last = now
        statistics.forwarded += 1
        return true
    }
}
