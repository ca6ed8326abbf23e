/// Sends probe clusters at their bitrate (libwebrtc's `BitrateProber`,
/// draft-ietf-rmcat-gcc-02 §5.3): bursts of `recommendedProbeSize` bytes spaced so that the
/// cluster as a whole leaves at `cluster.bitrate`, regardless of the pacing rate. A cluster
/// is done once it has sent `minimumProbes` probes and `minimumBytes` bytes.
public struct BitrateProber: Sendable {
    struct ActiveCluster: Sendable {
        var cluster: ProbeCluster
        var sentBytes = 0
        var sentProbes = 0
        var startedAt: Duration?
    }

    /// The spacing of probes (libwebrtc's `min_probe_delta`, 2 ms): each probe carries two
    /// deltas' worth of bytes at the cluster's rate.
    public var minimumProbeDelta: Duration = .milliseconds(2)
    /// A cluster not finished this long after it was created is abandoned (libwebrtc's
    /// 5 s cluster timeout); counted in `abandonedClusters`.
    public var clusterTimeout: Duration = .seconds(5)
    private var clusters: [ActiveCluster] = []
    public private(set) var completedClusters = 0
    public private(set) var abandonedClusters = 0

    public init() {}

    public var isProbing: Bool { !clusters.isEmpty }
    public var currentClusterID: Int? { clusters.first?.cluster.id }

    public mutating func add(_ cluster: ProbeCluster, at now: Duration) {
        dropExpired(at: now)
        clusters.append(ActiveCluster(cluster: cluster))
    }

    /// Bytes the next probe should carry (media first, padding for the rest).
    public var recommendedProbeSize: Int {
        guard let c = clusters.first else { return 0 }
        return max(1, Int(Double(c.cluster.bitrate) * (minimumProbeDelta * 2).seconds / 8))
    }

    /// When the next probe is due: the cluster's start plus the time its sent bytes take at
    /// its bitrate (a cluster not started yet is due at once).
    public var nextProbeTime: Duration? {
        guard let c = clusters.first else { return nil }
        guard let start = c.startedAt, c.cluster.bitrate > 0 else { return c.cluster.createdAt }
        return start + .nanoseconds(Int64(Double(c.sentBytes) * 8 / Double(c.cluster.bitrate) * 1e9))
    }

    public mutating func probeSent(bytes: Int, at now: Duration) {
        guard !clusters.isEmpty else { return }
        if clusters[0].startedAt == nil { clusters[0].startedAt = now }
        clusters[0].sentBytes += bytes
        clusters[0].sentProbes += 1
        let c = clusters[0]
        if c.sentProbes >= c.cluster.minimumProbes && c.sentBytes >= c.cluster.minimumBytes {
            clusters.removeFirst()
            completedClusters += 1
        }
    }

    /// Gives up the current cluster (nothing to send it with); counted.
    public mutating func abandonCurrent() {
        guard !clusters.isEmpty else { return }
        clusters.removeFirst()
        abandonedClusters += 1
    }

    public mutating func dropExpired(at now: Duration) {
        while let c = clusters.first, now - c.cluster.createdAt > clusterTimeout {
            clusters.removeFirst()
            abandonedClusters += 1
        }
    }
}
