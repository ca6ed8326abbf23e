/// RTCDegradationPreference (webrtc-extensions §"RTCRtpSendParameters.degradationPreference"):
/// what a sender gives up first when it cannot keep both the frame rate and the resolution.
/// `balanced` lowers the frame rate towards the constraint's ideal, then the resolution,
/// then the frame rate again towards its min.
public enum DegradationPreference: String, Sendable, CaseIterable {
    case maintainFramerate = "maintain-framerate"
    case maintainResolution = "maintain-resolution"
    case balanced
}

/// RTCQualityLimitationReason (webrtc-stats §"RTCQualityLimitationReason"): what keeps the
/// sent video below what the track delivers.
public enum QualityLimitationReason: String, Sendable, CaseIterable {
    case none, cpu, bandwidth, other
}
