import NetworkPrimitives
import VirtualNetwork
@testable import RTP

/// A closed congestion-control loop on the virtual network, in simulated time: a 30 fps
/// "encoder" producing the controller's target, a tiny pacer draining at the pacing rate
/// (and sending probe clusters as padding), a bottleneck link, and a receiver whose
/// `TransportFeedbackGenerator` sends feedback back over the reverse link.
struct CongestionLoop {
    struct Configuration {
        /// Bottleneck rate from a time on (nil: no cap), in order.
        var capacity: [(from: Duration, bitrate: Int?)]
        var oneWayDelay: Duration
        var lossRate: Double = 0
        var burstLoss: GilbertElliott? = nil
        var jitter: Duration = .zero
        var queueLimitBytes = 64 * 1024
        var duration: Duration
        var constraints = BitrateConstraints()
        var seed: UInt64 = 1
    }

    struct Result {
        /// (send time, bytes on the wire) of every packet the sender sent.
        var sent: [(time: Duration, wireBytes: Int)] = []
        /// (send time, time spent in the bottleneck queue) of every packet delivered.
        var queueing: [(time: Duration, delay: Duration)] = []
        /// (time, target) after each change.
        var targets: [(time: Duration, bitrate: Int)] = []
        /// Every 100 ms: the delay-based estimate, the acknowledged rate and the detector state.
        var internals: [(time: Duration, delayBased: Int, acknowledged: Int, state: BandwidthUsage,
                         trend: Double, threshold: Double, target: Int, capacity: Int?)] = []
        var link = LinkStatistics()
        var controller: GoogleCongestionController

        /// Bits per second on the wire (IP/UDP headers included) sent in [from, to).
        func sendRate(from: Duration, to: Duration) -> Double {
            var bytes = 0
            for s in sent where s.time >= from && s.time < to { bytes += s.wireBytes }
            return Double(bytes * 8) / (to - from).seconds
        }

        func target(at time: Duration) -> Int {
            targets.last { $0.time <= time }?.bitrate ?? 0
        }

        /// The p-th percentile of the queueing delay of packets sent in [from, to).
        func queueingPercentile(_ p: Double, from: Duration, to: Duration) -> Duration {
            let delays = queueing.filter { $0.time >= from && $0.time < to }.map(\.delay).sorted()
            guard !delays.isEmpty else { return .zero }
            return delays[min(delays.count - 1, Int(Double(delays.count) * p))]
        }

        var dropFraction: Double {
            Double(link.lossCount) / Double(max(link.datagramsSent, 1))
        }
    }

    static let packetSize = 1200
    static let sender = TransportAddress("10.0.0.1:5000")!
    static let receiver = TransportAddress("10.0.0.2:6000")!
    static let ipUDPOverhead = 28

    enum Tag: Int { case frame = 1, pace, process, feedback, probe, capacity }
}

/// Runs one closed loop for `configuration.duration` of simulated time.
func runLoop(_ configuration: CongestionLoop.Configuration) -> CongestionLoop.Result {
    typealias Loop = CongestionLoop
    let net = VirtualNetwork(seed: configuration.seed)
    func forward(_ bitrate: Int?) -> LinkConditions {
        LinkConditions(delay: configuration.oneWayDelay, jitter: configuration.jitter, lossRate: configuration.lossRate,
                       burstLoss: configuration.burstLoss, bandwidth: bitrate, queueLimitBytes: configuration.queueLimitBytes)
    }
    net.setConditions(forward(configuration.capacity.first?.bitrate), from: Loop.sender.ip, to: Loop.receiver.ip)
    net.setConditions(LinkConditions(delay: configuration.oneWayDelay), from: Loop.receiver.ip, to: Loop.sender.ip)

    var controller = GoogleCongestionController(constraints: configuration.constraints)
    var result = CongestionLoop.Result(controller: controller)
    var target = controller.current
    result.targets.append((.zero, target.targetBitrate))
    var generator = TransportFeedbackGenerator(senderSSRC: 2)
    var feedbackTimerPending = false

    // The pacer: media packet sizes waiting, a budget refilled every 5 ms, probe clusters.
    var mediaQueue: [Int] = []
    var mediaHead = 0
    var budget = 0.0
    var probes: [(cluster: ProbeCluster, bytes: Int, packets: Int)] = []
    var sequenceNumber: Int64 = 0
    let paceInterval = Duration.milliseconds(5)
    let frameInterval = Duration.nanoseconds(1_000_000_000 / 30)

    func send(size: Int, kind: PacedPacketKind, cluster: Int?) {
        sequenceNumber += 1
        var payload = [UInt8](repeating: 0, count: size)
        payload[0] = UInt8(truncatingIfNeeded: sequenceNumber >> 8)
        payload[1] = UInt8(truncatingIfNeeded: sequenceNumber)
        controller.onPacketSent(SentPacket(transportSequenceNumber: sequenceNumber, sendTime: net.now, size: size,
                                           probeClusterID: cluster, kind: kind))
        result.sent.append((net.now, size + Loop.ipUDPOverhead))
        net.send(payload, from: Loop.sender, to: Loop.receiver)
    }

    net.scheduleTimer(at: .zero, tag: Loop.Tag.frame.rawValue)
    net.scheduleTimer(at: .zero, tag: Loop.Tag.pace.rawValue)
    net.scheduleTimer(at: .zero, tag: Loop.Tag.process.rawValue)
    for step in configuration.capacity.dropFirst() {
        net.scheduleTimer(at: step.from, tag: Loop.Tag.capacity.rawValue)
    }
    var capacityIndex = 0

    while let event = net.nextEvent(until: configuration.duration) {
        let now = net.now
        switch event {
        case .delivery(let datagram) where datagram.destination == Loop.receiver:
            let seq = UInt16(datagram.payload[0]) << 8 | UInt16(datagram.payload[1])
            generator.onPacketReceived(transportSequenceNumber: seq, mediaSSRC: 1, at: now)
            result.queueing.append((datagram.sentAt, datagram.deliveredAt - datagram.sentAt - configuration.oneWayDelay))
            if !feedbackTimerPending, let due = generator.nextFeedbackTime {
                feedbackTimerPending = true
                net.scheduleTimer(at: due, tag: Loop.Tag.feedback.rawValue)
            }
        case .delivery(let datagram):
            guard let packets = try? RTCPPacket.parseCompound(datagram.payload) else { continue }
            for case .transportFeedback(let feedback) in packets {
                controller.onTransportFeedback(feedback, at: now)
            }
        case .timer(_, _, let tag, _):
            switch Loop.Tag(rawValue: tag) {
            case .frame:
                // A frame of target / 30 bits, split evenly into packets of at most 1200 bytes
                // (as the VP8 packetizer does).
                let bytes = max(target.targetBitrate / 8 / 30, 100)
                let count = (bytes + Loop.packetSize - 1) / Loop.packetSize
                for i in 0..<count { mediaQueue.append(bytes / count + (i < bytes % count ? 1 : 0)) }
                net.scheduleTimer(at: now + frameInterval, tag: tag)
            case .pace:
                // Drain at the pacing rate, faster if the queue would take over 2 s
                // (libwebrtc's pacer queue time limit).
                var queued = 0
                for size in mediaQueue[mediaHead...] { queued += size }
                let rate = max(Double(target.pacingRate), Double(queued * 8) / 2)
                budget = min(budget + rate * paceInterval.seconds / 8, rate * paceInterval.seconds / 8)
                while budget > 0 && mediaHead < mediaQueue.count && probes.isEmpty {
                    let size = mediaQueue[mediaHead]
                    mediaHead += 1
                    budget -= Double(size)
                    send(size: size, kind: .video, cluster: nil)
                }
                if mediaHead > 256 {
                    mediaQueue.removeFirst(mediaHead)
                    mediaHead = 0
                }
                net.scheduleTimer(at: now + paceInterval, tag: tag)
            case .process:
                if let next = controller.process(at: now) {
                    target = next
                    result.targets.append((now, next.targetBitrate))
                }
                if now / .milliseconds(100) == (now / .milliseconds(100)).rounded(.down) {
                    result.internals.append((now, controller.delayBasedEstimator.estimate,
                                             controller.acknowledgedBitrate ?? 0, controller.delayState,
                                             controller.delayBasedEstimator.trendline.modifiedTrend,
                                             controller.delayBasedEstimator.trendline.detector.threshold,
                                             target.targetBitrate,
                                             controller.delayBasedEstimator.rateControl.linkCapacity.estimate))
                }
                let start = probes.isEmpty
                probes.append(contentsOf: controller.takeProbeClusters().map { ($0, 0, 0) })
                if start && !probes.isEmpty { net.scheduleTimer(at: now, tag: Loop.Tag.probe.rawValue) }
                net.scheduleTimer(at: now + .milliseconds(25), tag: tag)
            case .probe:
                // As libwebrtc's pacer: a cluster takes the queued media first, then padding
                // (sized so the cluster's bytes come in its minimum count of packets), all at
                // the cluster's rate; normal pacing waits meanwhile.
                guard var probe = probes.first else { break }
                var size: Int
                var kind = PacedPacketKind.video
                if mediaHead < mediaQueue.count {
                    size = mediaQueue[mediaHead]
                    mediaHead += 1
                } else {
                    size = min(Loop.packetSize, max(200, probe.cluster.minimumBytes / max(probe.cluster.minimumProbes, 1)))
                    kind = .padding
                }
                send(size: size, kind: kind, cluster: probe.cluster.id)
                probe.bytes += size
                probe.packets += 1
                if probe.bytes >= probe.cluster.minimumBytes && probe.packets >= probe.cluster.minimumProbes {
                    probes.removeFirst()
                } else {
                    probes[0] = probe
                }
                if !probes.isEmpty {
                    let gap = Duration.nanoseconds(Int64(size * 8) * 1_000_000_000 / Int64(max(probe.cluster.bitrate, 1)))
                    net.scheduleTimer(at: now + gap, tag: tag)
                }
            case .feedback:
                feedbackTimerPending = false
                for message in generator.poll(at: now) {
                    var bytes: [UInt8] = []
                    try? message.write(into: &bytes)
                    net.send(bytes, from: Loop.receiver, to: Loop.sender)
                }
                if let due = generator.nextFeedbackTime {
                    feedbackTimerPending = true
                    net.scheduleTimer(at: due, tag: tag)
                }
            case .capacity:
                capacityIndex += 1
                net.setConditions(forward(configuration.capacity[capacityIndex].bitrate),
                                  from: Loop.sender.ip, to: Loop.receiver.ip)
            case nil:
                break
            }
        }
    }
    result.link = net.statistics(from: Loop.sender.ip, to: Loop.receiver.ip)
    result.controller = controller
    return result
}
