import VirtualNetwork

/// What a relay did, per direction: totals and the per-interval series (JSON for
/// `tincan link --json` and for the call timeline's link panels).
public struct LinkRelayReport: Sendable, Codable {
    public struct Direction: Sendable, Codable {
        public var name: String
        public var datagramsOffered: Int
        public var bytesOffered: Int
        /// Written out by the relay (duplicates included).
        public var datagramsDelivered: Int
        public var bytesDelivered: Int
        public var droppedRandom: Int
        public var droppedBurst: Int
        public var droppedQueue: Int
        public var duplicates: Int
        public var reordered: Int
        /// Dropped / offered, percent.
        public var dropPercent: Double
        public var deliveredKbitPerSecond: Double
        public var queueingDelayMeanMs: Double?
        public var queueingDelayP95Ms: Double?
        public var queueingDelayMaxMs: Double?
        public var intervals: [LinkTimeSeries.Interval]

        init(_ d: LinkRelayCore.Direction, elapsed: Duration) {
            let s = d.link.statistics
            name = d.name
            datagramsOffered = s.datagramsSent
            bytesOffered = s.bytesSent
            datagramsDelivered = d.deliveredPackets
            bytesDelivered = d.deliveredBytes
            droppedRandom = s.randomLosses
            droppedBurst = s.burstLosses
            droppedQueue = s.tailDrops
            duplicates = s.duplicates
            reordered = s.reordered
            dropPercent = s.datagramsSent > 0 ? LinkRelayReport.round(100 * Double(s.lossCount) / Double(s.datagramsSent), 3) : 0
            deliveredKbitPerSecond = elapsed > .zero ? LinkRelayReport.round(Double(d.deliveredBytes) * 8 / elapsed.seconds / 1000, 2) : 0
            if s.queuedDatagrams > 0 {
                queueingDelayMeanMs = LinkRelayReport.round(s.totalQueueingDelay.seconds * 1000 / Double(s.queuedDatagrams), 3)
                queueingDelayMaxMs = LinkRelayReport.round(s.maxQueueingDelay.seconds * 1000, 3)
            }
            queueingDelayP95Ms = d.series.queueingDelayPercentile(0.95)
            intervals = d.series.snapshot()
        }

        public var droppedPackets: Int { droppedRandom + droppedBurst + droppedQueue }
    }

    public var durationSeconds: Double
    public var intervalSeconds: Double
    public var socketErrors: Int
    public var refusedClients: Int
    /// Datagrams for a pair peer whose address was not set yet.
    public var unroutable: Int
    public var directions: [Direction]

    static func round(_ v: Double, _ decimals: Int) -> Double {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        return (v * scale).rounded() / scale
    }
}
