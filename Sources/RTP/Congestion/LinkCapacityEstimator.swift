/// What AIMD believes the link carries: an average of the acknowledged rates at which
/// overuse was detected, with its deviation (libwebrtc's `LinkCapacityEstimator`). Near it
/// the rate grows additively (draft-ietf-rmcat-gcc-02 §5.5: "close to convergence");
/// an acknowledged rate outside ±3σ says the link changed and forgets it.
public struct LinkCapacityEstimator: Sendable {
    /// kbit/s.
    private var estimateKbps: Double?
    private var deviationKbps = 0.4

    public init() {}

    public var estimate: Int? { estimateKbps.map { Int($0 * 1000) } }
    public var hasEstimate: Bool { estimateKbps != nil }

    public var upperBound: Int {
        guard let e = estimateKbps else { return .max }
        return Int((e + 3 * deviationEstimate(e)) * 1000)
    }

    public var lowerBound: Int {
        guard let e = estimateKbps else { return 0 }
        return Int(max(0, e - 3 * deviationEstimate(e)) * 1000)
    }

    private func deviationEstimate(_ e: Double) -> Double { (e * deviationKbps).squareRoot() }

    public mutating func reset() { estimateKbps = nil }

    public mutating func onOveruseDetected(acknowledgedRate: Int) { update(acknowledgedRate, alpha: 0.05) }

    public mutating func onProbeRate(_ rate: Int) { update(rate, alpha: 0.5) }

    private mutating func update(_ sample: Int, alpha: Double) {
        let sampleKbps = Double(sample) / 1000
        guard let e = estimateKbps else {
            estimateKbps = sampleKbps
            return
        }
        let next = (1 - alpha) * e + alpha * sampleKbps
        let norm = max(next, 1)
        let error = next - sampleKbps
        deviationKbps = (1 - alpha) * deviationKbps + alpha * error * error / norm
        deviationKbps = min(max(deviationKbps, 0.4), 2.5)
        estimateKbps = next
    }
}
