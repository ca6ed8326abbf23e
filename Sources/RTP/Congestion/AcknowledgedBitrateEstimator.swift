/// The rate at which the receiver got our packets, from transport feedback (libwebrtc's
/// `AcknowledgedBitrateEstimator` over its Bayesian `BitrateEstimator`): bytes are summed
/// over 150 ms windows of arrival time (500 ms for the first), and each window's rate is
/// merged into the estimate weighted by how far it is from it, so one burst does not swing
/// the estimate but a sustained change moves it within a few windows. The AIMD decrease
/// (0.85 × this) and increase limit (1.5 × this) depend on it.
public struct AcknowledgedBitrateEstimator: Sendable {
    static let initialWindow: Duration = .milliseconds(500)
    static let window: Duration = .milliseconds(150)
    static let uncertaintyScale = 10.0

    private var sum = 0
    private var currentWindow: Duration = .zero
    private var previousTime: Duration?
    private var estimateKbps: Double?
    private var variance = 50.0

    public init() {}

    /// bit/s, once a window completed.
    public var bitrate: Int? { estimateKbps.map { Int($0 * 1000) } }

    /// Received packets in arrival order.
    public mutating func incomingPacketFeedback(_ packets: [PacketResult]) {
        for p in packets {
            guard let arrival = p.receiveTime else { continue }
            update(at: arrival, bytes: p.sent.size)
        }
    }

    /// The sender expects the rate to jump (the end of an application-limited period, a
    /// probe): widen the estimate's variance so the next windows count fully.
    public mutating func expectFastRateChange() { variance += 200 }

    mutating func update(at time: Duration, bytes: Int) {
        let window = estimateKbps == nil ? Self.initialWindow : Self.window
        guard let sample = updateWindow(time, bytes: bytes, window: window) else { return }
        guard let estimate = estimateKbps else {
            estimateKbps = sample
            return
        }
        let sampleUncertainty = Self.uncertaintyScale * abs(estimate - sample) / max(estimate, 1)
        let sampleVariance = sampleUncertainty * sampleUncertainty
        // Each window adds process noise so the estimate keeps following the link.
        let predictedVariance = variance + 5
        estimateKbps = (sampleVariance * estimate + predictedVariance * sample) / (sampleVariance + predictedVariance)
        variance = sampleVariance * predictedVariance / (sampleVariance + predictedVariance)
    }

    /// kbit/s of the window just completed, if one did.
    private mutating func updateWindow(_ time: Duration, bytes: Int, window: Duration) -> Double? {
        if let previous = previousTime, time < previous {
            // Arrival times went backwards (a new feedback reference): start over.
            previousTime = nil
            sum = 0
            currentWindow = .zero
        }
        if let previous = previousTime {
            currentWindow += time - previous
            if time - previous > window {
                // A gap longer than the window: what was summed says nothing of the rate.
                sum = 0
                let n = Int64((currentWindow / window).rounded(.down))
                currentWindow -= window * Double(n)
            }
        }
        previousTime = time
        var sample: Double?
        if currentWindow >= window {
            sample = Double(sum * 8) / window.milliseconds
            currentWindow -= window
            sum = 0
        }
        sum += bytes
        return sample
    }
}
