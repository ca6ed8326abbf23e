/// What a probe cluster found (libwebrtc's `ProbeBitrateEstimator`): the cluster's send
/// rate and receive rate from the feedback of its packets. When the receiver got the burst
/// clearly slower than it was sent, the link is saturated and the estimate is 95 % of the
/// receive rate; otherwise the lesser of the two.
public struct ProbeBitrateEstimator: Sendable {
    /// A cluster's estimate, and whether the path was saturated (received clearly slower
    /// than sent): only then is it a measure of the capacity rather than a lower bound.
    public struct Result: Sendable, Equatable {
        public var bitrate: Int
        public var linkSaturated: Bool
    }

    static let minReceivedProbesRatio = 0.8
    static let minReceivedBytesRatio = 0.8
    static let maxProbeInterval: Duration = .seconds(1)
    static let maxValidRatio = 2.0
    static let minRatioForUnsaturatedLink = 0.9
    static let targetUtilizationFraction = 0.95
    static let maxClusterHistory: Duration = .seconds(1)

    private struct Aggregate {
        var firstSend: Duration = .seconds(Int64.max / 2)
        var lastSend: Duration = .seconds(-Int64.max / 2)
        var firstReceive: Duration = .seconds(Int64.max / 2)
        var lastReceive: Duration = .seconds(-Int64.max / 2)
        var sizeLastSend = 0
        var sizeFirstReceive = 0
        var sizeTotal = 0
        var probes = 0
        var updatedAt: Duration = .zero
    }

    private var clusters: [Int: Aggregate] = [:]
    private var lastResult: Result?
    /// Probe results rejected as implausible (receive rate over twice the send rate).
    public private(set) var invalidResults = 0

    public init() {}

    /// One received probe packet (lost ones say nothing of the rate) of `cluster`;
    /// returns the cluster's estimate once enough of it arrived.
    public mutating func handleProbe(_ packet: PacketResult, cluster: ProbeCluster, at now: Duration) -> Int? {
        guard let receiveTime = packet.receiveTime, let id = packet.sent.probeClusterID else { return nil }
        for (key, old) in clusters where now - old.updatedAt >= Self.maxClusterHistory { clusters[key] = nil }
        var c = clusters[id] ?? Aggregate()
        let size = packet.sent.size
        if packet.sent.sendTime < c.firstSend { c.firstSend = packet.sent.sendTime }
        if packet.sent.sendTime > c.lastSend {
            c.lastSend = packet.sent.sendTime
            c.sizeLastSend = size
        }
        if receiveTime < c.firstReceive {
            c.firstReceive = receiveTime
            c.sizeFirstReceive = size
        }
        if receiveTime > c.lastReceive { c.lastReceive = receiveTime }
        c.sizeTotal += size
        c.probes += 1
        c.updatedAt = now
        clusters[id] = c

        guard Double(c.probes) >= Double(cluster.minimumProbes) * Self.minReceivedProbesRatio,
              Double(c.sizeTotal) >= Double(cluster.minimumBytes) * Self.minReceivedBytesRatio else { return nil }
        let sendInterval = c.lastSend - c.firstSend
        let receiveInterval = c.lastReceive - c.firstReceive
        guard sendInterval > .zero, sendInterval <= Self.maxProbeInterval,
              receiveInterval > .zero, receiveInterval <= Self.maxProbeInterval else { return nil }
        // The last packet sent and the first received do not span their interval.
        let sendRate = Double(c.sizeTotal - c.sizeLastSend) * 8 / sendInterval.seconds
        let receiveRate = Double(c.sizeTotal - c.sizeFirstReceive) * 8 / receiveInterval.seconds
        guard receiveRate / sendRate <= Self.maxValidRatio else {
            invalidResults += 1
            return nil
        }
        var result = min(sendRate, receiveRate)
        let saturated = receiveRate < Self.minRatioForUnsaturatedLink * sendRate
        if saturated { result = Self.targetUtilizationFraction * receiveRate }
        lastResult = Result(bitrate: Int(result), linkSaturated: saturated)
        return Int(result)
    }

    /// The latest cluster estimate, taken once.
    public mutating func fetchAndResetLastResult() -> Result? {
        defer { lastResult = nil }
        return lastResult
    }
}
