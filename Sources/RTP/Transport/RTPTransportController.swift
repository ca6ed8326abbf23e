/// The transport-level RTP pipeline of one transport (one BUNDLE group), sans-I/O like the
/// ICE agent core: packets, RTCP and the current time in; packets to protect and send,
/// deadlines and events out. No clocks, threads or locks inside.
///
/// It owns egress for every stream of the transport: media from each stream's `RTPSendStream`
/// goes through the `RTPPacer`; at egress, after pacing, the transport-wide sequence number
/// (one counter for media, RTX and padding) and abs-send-time are written into the packet
/// in place, and the send time goes to the estimator. Incoming RTCP is routed to the stages
/// (pion's interceptor idea, as concrete optional stages): NACK to the stream's sender within
/// the RTX budget, PLI/FIR to rate-limited keyframe requests, transport-cc feedback, REMB and
/// receiver-report loss/RTT to the estimator. On the receive side, arrivals feed the
/// transport-cc feedback generator and the REMB estimator.
///
/// Drive it from one task:
/// - per outgoing media packet: `send(_:payload:timestamp:marker:at:)`, then `poll`;
/// - per incoming RTCP compound: `handleRTCP(_:at:)` (parsed once, also given to the
///   receivers), then `poll`;
/// - per incoming RTP packet: `receivedRTP(_:header:at:)`;
/// - at `nextDeadline`: `poll(at:emit:)` (it runs the due timers, `handleTimeout`, first);
/// - after each call: drain `pollEvent()`.
public struct RTPTransportController: Sendable {
    struct Stream: Sendable {
        var sender: RTPSendStream
        let kind: RTPMediaKind
        let ssrc: UInt32
        let rtxSSRC: UInt32?
        let clockRate: UInt32
        let extensions: RTPHeaderExtensionMap
        var active = true
        var lastTimestamp: UInt32 = 0
        var lastMediaAt: Duration?
        var nextReportAt: Duration?
        var lastKeyframeRequestAt: Duration?
    }

    public let configuration: RTPTransportConfiguration
    /// The target the encoders, the pacer and the RTX budget follow.
    public private(set) var target: TargetTransferRate
    public private(set) var nackResponder: NACKResponderStage?
    public private(set) var keyframeRequests: KeyframeRequestStage?
    public private(set) var reports: RTCPReportStage?
    public private(set) var remb: REMBStage?
    public private(set) var transportFeedback: TransportFeedbackStage?
    public private(set) var bandwidthEstimation: BandwidthEstimationStage?

    private var streams: [Stream] = []
    private var pacer: RTPPacer
    private var stamper: RTPEgressStamper
    private var outbox = RTCPOutbox()
    private var events: [RTPTransportEvent] = []
    private var counters = RTPTransportStatistics()
    private var paddingScratch: [UInt8] = []
    /// The stream that makes padding: the first active one with RTX, video first.
    private var paddingStream: Int?
    private var lastNow: Duration
    /// The estimator's output last applied: a change of it (not a difference from an
    /// override) retargets.
    private var lastEstimate: TargetTransferRate?

    public init(configuration: RTPTransportConfiguration, at now: Duration) {
        self.configuration = configuration
        lastNow = now
        stamper = RTPEgressStamper(initialTransportSequenceNumber: configuration.initialTransportSequenceNumber)
        let bwe = configuration.bandwidthEstimation.map { BandwidthEstimationStage(configuration: $0, at: now) }
        bandwidthEstimation = bwe
        let fixed = configuration.fixedTargetBitrate
        target = bwe?.estimator.current
            ?? TargetTransferRate(at: now, targetBitrate: fixed, pacingRate: fixed * 5 / 2, limitedBy: .configuration)
        lastEstimate = bwe?.estimator.current
        pacer = RTPPacer(configuration: configuration.pacer, pacingRate: target.pacingRate, paddingRate: target.paddingRate, at: now)
        nackResponder = configuration.nackResponder.map {
            NACKResponderStage(configuration: $0, targetBitrate: target.targetBitrate, at: now)
        }
        keyframeRequests = configuration.keyframeRequests.map { KeyframeRequestStage(configuration: $0) }
        reports = configuration.reports.map { RTCPReportStage(configuration: $0) }
        remb = configuration.remb.map { REMBStage(configuration: $0) }
        if configuration.transportWideCongestionControl {
            transportFeedback = TransportFeedbackStage(
                senderSSRC: configuration.rtcpSSRC, interval: configuration.transportFeedbackInterval)
        }
        paddingScratch.reserveCapacity(1500)
        events.append(.targetChanged(target))
    }

    /// The rtcp-fb values and extmap URIs of the installed stages, for the SDP.
    public func features(for kind: RTPMediaKind) -> RTPStageFeatures { configuration.features(for: kind) }

    // MARK: Streams

    /// Registers a stream; its packets leave through this transport from now on. The
    /// sender's `onKeyframeRequest` should stay nil: requests arrive as rate-limited events.
    public mutating func addStream(_ sender: RTPSendStream, kind: RTPMediaKind) -> RTPTransportStreamID {
        let c = sender.configuration
        streams.append(Stream(sender: sender, kind: kind, ssrc: c.ssrc, rtxSSRC: c.rtxSSRC, clockRate: c.clockRate,
                              extensions: c.extensions))
        choosePaddingStream()
        return RTPTransportStreamID(index: streams.count - 1)
    }

    /// Stops a stream; what it had queued is dropped (counted).
    public mutating func removeStream(_ id: RTPTransportStreamID) {
        guard streams.indices.contains(id.index), streams[id.index].active else { return }
        streams[id.index].active = false
        pacer.removeQueued(stream: id.index)
        choosePaddingStream()
    }

    /// The stream's sender (its statistics, RTT, sequence numbers).
    public func sender(_ id: RTPTransportStreamID) -> RTPSendStream { streams[id.index].sender }

    private mutating func choosePaddingStream() {
        let candidates = streams.indices.filter { streams[$0].active && streams[$0].rtxSSRC != nil }
        paddingStream = candidates.first { streams[$0].kind == .video } ?? candidates.first
        setPacerRates()
    }

    /// No padding rate without a stream to make padding (the pacer would wake for nothing).
    private mutating func setPacerRates() {
        pacer.setRates(pacingRate: target.pacingRate, paddingRate: paddingStream == nil ? 0 : target.paddingRate)
    }

    // MARK: Send side

    /// Packetized media of one stream: numbered by its sender, queued in the pacer.
    public mutating func send(
        _ id: RTPTransportStreamID, payload: UnsafeRawBufferPointer, timestamp: UInt32, marker: Bool, at now: Duration
    ) throws {
        lastNow = max(lastNow, now)
        guard streams.indices.contains(id.index), streams[id.index].active else {
            counters.packetsForRemovedStreams += 1
            return
        }
        try Self.enqueueMedia(&streams[id.index], index: id.index, pacer: &pacer, payload: payload, timestamp: timestamp,
                              marker: marker, at: now)
        if streams[id.index].nextReportAt == nil, let reports {
            streams[id.index].nextReportAt = now + reports.configuration.firstReportDelay
        }
    }

    private static func enqueueMedia(
        _ stream: inout Stream, index: Int, pacer: inout RTPPacer, payload: UnsafeRawBufferPointer, timestamp: UInt32,
        marker: Bool, at now: Duration
    ) throws {
        let kind = stream.kind.pacedKind
        let ssrc = stream.ssrc
        try stream.sender.send(payload: payload, timestamp: timestamp, marker: marker, at: now) { raw in
            pacer.enqueue(raw, kind: kind, ssrc: ssrc, stream: index, at: now)
        }
        stream.lastTimestamp = timestamp
        stream.lastMediaAt = now
    }

    /// Overrides the target (a fixed-rate configuration, or tests); the estimator's next
    /// change replaces it.
    public mutating func setTargetTransferRate(_ rate: TargetTransferRate) {
        apply(rate)
    }

    /// A probe the estimator did not ask for (an application raising its cap, tests); the
    /// estimator's own clusters reach the pacer by themselves.
    public mutating func addProbeCluster(_ cluster: ProbeCluster, at now: Duration) {
        pacer.addProbeCluster(cluster, at: now)
    }

    /// New bounds for the estimator (renegotiated `b=AS`, the user's cap).
    public mutating func setConstraints(_ constraints: BitrateConstraints, at now: Duration) {
        bandwidthEstimation?.setConstraints(constraints, at: now)
        updateTarget(at: now)
    }

    private mutating func apply(_ rate: TargetTransferRate) {
        target = rate
        setPacerRates()
        nackResponder?.setTargetBitrate(rate.targetBitrate)
        events.append(.targetChanged(rate))
    }

    private mutating func updateTarget(at now: Duration) {
        guard let bwe = bandwidthEstimation else { return }
        let t = bwe.estimator.current
        if let last = lastEstimate, t.targetBitrate == last.targetBitrate, t.pacingRate == last.pacingRate,
            t.paddingRate == last.paddingRate
        {
            // unchanged
        } else {
            lastEstimate = t
            apply(t)
        }
        for cluster in bandwidthEstimation?.takeProbeClusters() ?? [] { pacer.addProbeCluster(cluster, at: now) }
    }

    // MARK: RTCP in

    /// One incoming RTCP compound, parsed. Retransmissions are queued in the pacer (sent by
    /// the next `poll`); keyframe requests and target changes become events.
    public mutating func handleRTCP(_ packets: [RTCPPacket], at now: Duration) throws {
        lastNow = max(lastNow, now)
        for i in packets.indices {
            switch packets[i] {
            case .transportFeedback(let feedback):
                guard transportFeedback != nil else { continue }
                transportFeedback?.countReceived()
                bandwidthEstimation?.transportFeedback(feedback, at: now)
            case .receiverEstimatedMaximumBitrate(let r):
                guard remb != nil else { continue }
                remb?.countReceived()
                bandwidthEstimation?.remb(bitrate: Int(clamping: r.bitrate), at: now)
            default:
                break
            }
        }
        for i in streams.indices where streams[i].active {
            let feedback = try Self.routeRTCP(
                packets, to: &streams[i], index: i, pacer: &pacer, nack: &nackResponder, counters: &counters,
                overhead: configuration.packetOverhead, at: now)
            guard let reason = feedback.keyframeRequest else { continue }
            guard keyframeRequests != nil else {
                counters.keyframeRequestsNotNegotiated += 1
                continue
            }
            let rtt = streams[i].sender.roundTripTime
            if keyframeRequests?.shouldForward(reason, last: &streams[i].lastKeyframeRequestAt, roundTripTime: rtt, at: now) == true {
                events.append(.keyframeRequested(ssrc: streams[i].ssrc, reason: reason))
            }
        }
        reportLoss(packets, at: now)
        updateTarget(at: now)
    }

    /// NACK, PLI/FIR and report blocks of one stream, through its sender.
    private static func routeRTCP(
        _ packets: [RTCPPacket], to stream: inout Stream, index: Int, pacer: inout RTPPacer,
        nack: inout NACKResponderStage?, counters: inout RTPTransportStatistics, overhead: Int, at now: Duration
    ) throws -> RTPSendStreamFeedback {
        let rtt = stream.sender.roundTripTime
        var expiresAt: Duration?
        let feedback = try stream.sender.handleRTCP(packets, at: now, shouldRetransmit: { _, age in
            guard nack != nil else {
                counters.nacksNotNegotiated += 1
                return false
            }
            guard nack?.shouldRetransmit(age: age, roundTripTime: rtt, at: now) == true else { return false }
            expiresAt = now - age + (nack?.maximumAge(roundTripTime: rtt) ?? .zero)
            return true
        }, emit: { raw in
            let ssrc = raw.count >= 12
                ? UInt32(raw[8]) << 24 | UInt32(raw[9]) << 16 | UInt32(raw[10]) << 8 | UInt32(raw[11]) : 0
            if pacer.enqueue(raw, kind: .retransmission, ssrc: ssrc, stream: index, at: now, expiresAt: expiresAt) {
                nack?.retransmissionQueued(bytes: raw.count + overhead)
            }
        })
        nack?.countNotInHistory(feedback.unavailablePackets)
        return feedback
    }

    /// Receiver-report loss on our streams, and their RTT, to the estimator (RFC 3550 §6.4.1).
    private mutating func reportLoss(_ packets: [RTCPPacket], at now: Duration) {
        guard bandwidthEstimation != nil else { return }
        for i in packets.indices {
            let blocks: [RTCPReportBlock]
            switch packets[i] {
            case .receiverReport(let rr): blocks = rr.reportBlocks
            case .senderReport(let sr): blocks = sr.reportBlocks
            default: continue
            }
            var lost = 0.0
            var matched = 0
            var rtt: Duration?
            for b in blocks.indices {
                guard let s = streams.firstIndex(where: { $0.active && $0.ssrc == blocks[b].ssrc }) else { continue }
                lost += Double(blocks[b].fractionLost) / 256
                matched += 1
                if let r = streams[s].sender.roundTripTime { rtt = max(rtt ?? r, r) }
            }
            guard matched > 0 else { continue }
            bandwidthEstimation?.receiverReport(fractionLost: lost / Double(matched), roundTripTime: rtt, at: now)
        }
    }

    // MARK: Receive side

    /// One incoming RTP packet (after SRTP, parsed by the caller): its transport-wide
    /// sequence number to the feedback generator; only a packet without one gives its
    /// abs-send-time to the REMB estimator, as in libwebrtc's
    /// `ReceiveSideCongestionController::OnReceivedPacket`: a sender that numbers its packets
    /// estimates for itself, and the REMB estimator's per-packet filter and its 50 ms timer
    /// would run on the receiver for a REMB that sender does not need.
    public mutating func receivedRTP(_ packet: UnsafeRawBufferPointer, header: RTPHeader, at now: Duration) {
        lastNow = max(lastNow, now)
        let e = configuration.receiveExtensions
        let twID = transportFeedback != nil ? e.transportSequenceNumber : nil
        let absID = remb != nil ? e.absSendTime : nil
        guard twID != nil || absID != nil else { return }
        var transportSequenceNumber: UInt16?
        var absSendTime: UInt32?
        var it = RTPHeaderExtensionIterator(buffer: packet, header: header)
        while let element = it.next() {
            let s = element.range.lowerBound
            if element.id == twID, element.range.count == 2 {
                transportSequenceNumber = UInt16(packet[s]) << 8 | UInt16(packet[s + 1])
            } else if element.id == absID, element.range.count == 3 {
                absSendTime = UInt32(packet[s]) << 16 | UInt32(packet[s + 1]) << 8 | UInt32(packet[s + 2])
            }
        }
        if let transportSequenceNumber {
            transportFeedback?.packetReceived(transportSequenceNumber: transportSequenceNumber, mediaSSRC: header.ssrc, at: now)
        } else if let absSendTime {
            remb?.packetReceived(absSendTime: absSendTime, size: packet.count + configuration.packetOverhead, ssrc: header.ssrc,
                                 at: now)
        }
    }

    // MARK: Timers and output

    /// When `poll` must run next: a paced packet, RTCP waiting, or a timer. The estimator's
    /// periodic work counts at its latest (`processSlack` after due); any earlier poll runs it.
    public var nextDeadline: Duration? {
        // Index loops and no capturing local function: unoptimized builds would allocate.
        let never = Duration.seconds(Int64.max)
        var next = outbox.isEmpty ? never : lastNow
        next = min(next, pacer.nextSendTime ?? never)
        next = min(next, bandwidthEstimation?.processDeadline ?? never)
        next = min(next, transportFeedback?.nextFeedbackTime ?? never)
        next = min(next, remb?.nextProcess ?? never)
        for i in streams.indices where streams[i].active { next = min(next, streams[i].nextReportAt ?? never) }
        return next == never ? nil : next
    }

    /// Runs the timers due at `now`: the estimator's periodic work, transport-cc feedback,
    /// REMB, sender reports. What they make waits in the outbox for `poll`.
    public mutating func handleTimeout(at now: Duration) {
        lastNow = max(lastNow, now)
        if bandwidthEstimation != nil {
            bandwidthEstimation?.process(at: now)
            updateTarget(at: now)
        }
        if let due = transportFeedback?.nextFeedbackTime, due <= now {
            for feedback in transportFeedback?.poll(at: now) ?? [] {
                outbox.append { try feedback.write(into: &$0) }
            }
        }
        if let r = remb?.process(at: now) {
            let message = RTCPReceiverEstimatedMaximumBitrate(
                senderSSRC: configuration.rtcpSSRC, bitrate: UInt64(max(0, r.bitrate)), ssrcs: r.ssrcs)
            outbox.append { try message.write(into: &$0) }
        }
        if let reports {
            for i in streams.indices where streams[i].active {
                guard let due = streams[i].nextReportAt, due <= now else { continue }
                Self.makeSenderReport(&streams[i], outbox: &outbox, ntpTimeAtZero: configuration.ntpTimeAtZero, at: now)
                streams[i].nextReportAt = now + reports.interval(for: streams[i].kind)
                self.reports?.countReport()
            }
        }
    }

    private static func makeSenderReport(_ stream: inout Stream, outbox: inout RTCPOutbox, ntpTimeAtZero: UInt64, at now: Duration) {
        var rtpTimestamp = stream.lastTimestamp
        if let last = stream.lastMediaAt, now > last {
            // The media clock moved on since the last packet (RFC 3550 §6.4.1: the SR's RTP
            // time corresponds to its NTP time).
            rtpTimestamp &+= UInt32(truncatingIfNeeded: Int64((now - last).seconds * Double(stream.clockRate)))
        }
        outbox.append { buffer in
            try stream.sender.makeSenderReport(
                ntpTime: ntpTimeAtZero &+ NTPTime.timestamp(now), rtpTimestamp: rtpTimestamp, at: now
            ) { raw in buffer.append(contentsOf: raw) }
        }
    }

    /// Emits what is due at `now`: first the timers' RTCP, then the paced packets, each
    /// stamped at egress. `emit` SRTP-protects and sends (`.rtp` or `.rtcp`).
    public mutating func poll(at now: Duration, emit: (UnsafeRawBufferPointer, RTPTransmitKind) throws -> Void) throws {
        handleTimeout(at: now)
        try outbox.drain { try emit($0, .rtcp) }
        try Self.drainPacer(
            &pacer, streams: &streams, stamper: &stamper, bandwidthEstimation: &bandwidthEstimation,
            counters: &counters, scratch: &paddingScratch, paddingStream: paddingStream,
            overhead: configuration.packetOverhead, at: now, emit: emit)
    }

    private static func drainPacer(
        _ pacer: inout RTPPacer, streams: inout [Stream], stamper: inout RTPEgressStamper,
        bandwidthEstimation: inout BandwidthEstimationStage?, counters: inout RTPTransportStatistics,
        scratch: inout [UInt8], paddingStream: Int?, overhead: Int, at now: Duration,
        emit: (UnsafeRawBufferPointer, RTPTransmitKind) throws -> Void
    ) throws {
        try pacer.poll(at: now) { output in
            switch output {
            case .packet(let bytes, let kind, _, let stream, let cluster):
                egress(bytes, extensions: streams[stream].extensions, kind: kind, probeClusterID: cluster, overhead: overhead,
                       stamper: &stamper, bandwidthEstimation: &bandwidthEstimation, at: now)
                try emit(UnsafeRawBufferPointer(bytes), .rtp)
                return bytes.count + overhead
            case .padding(let size, let cluster):
                guard let index = paddingStream else {
                    counters.paddingUnavailable += 1
                    return 0
                }
                let e = streams[index].extensions
                var sent = 0
                _ = try streams[index].sender.sendPadding(maximumSize: size - overhead, at: now) { raw in
                    scratch.removeAll(keepingCapacity: true)
                    scratch.append(contentsOf: raw)
                    try scratch.withUnsafeMutableBytes { bytes in
                        egress(bytes, extensions: e, kind: .padding, probeClusterID: cluster, overhead: overhead,
                               stamper: &stamper, bandwidthEstimation: &bandwidthEstimation, at: now)
                        try emit(UnsafeRawBufferPointer(bytes), .rtp)
                    }
                    sent = raw.count + overhead
                }
                if sent == 0 { counters.paddingUnavailable += 1 }
                return sent
            }
        }
    }

    /// Stamps a packet leaving now and tells the estimator when it left.
    private static func egress(
        _ bytes: UnsafeMutableRawBufferPointer, extensions e: RTPHeaderExtensionMap, kind: PacedPacketKind,
        probeClusterID: Int?, overhead: Int, stamper: inout RTPEgressStamper,
        bandwidthEstimation: inout BandwidthEstimationStage?, at now: Duration
    ) {
        guard let seq = stamper.stamp(
            bytes, transportSequenceNumberID: e.transportSequenceNumber, absSendTimeID: e.absSendTime, at: now)
        else { return }
        bandwidthEstimation?.packetSent(SentPacket(
            transportSequenceNumber: seq, sendTime: now, size: bytes.count + overhead, probeClusterID: probeClusterID,
            kind: kind))
    }

    /// The next event, oldest first.
    public mutating func pollEvent() -> RTPTransportEvent? {
        events.isEmpty ? nil : events.removeFirst()
    }

    public var statistics: RTPTransportStatistics {
        var s = counters
        s.pacer = pacer.statistics
        s.nack = nackResponder?.statistics ?? NACKResponderStage.Statistics()
        s.keyframeRequests = keyframeRequests?.statistics ?? KeyframeRequestStage.Statistics()
        s.transportSequenceNumbersSent = stamper.nextTransportSequenceNumber - Int64(configuration.initialTransportSequenceNumber)
        s.packetsWithoutSlot = stamper.packetsWithoutSlot + stamper.unparsablePackets
        s.senderReportsSent = reports?.senderReportsSent ?? 0
        s.transportFeedbackSent = transportFeedback?.feedbackSent ?? 0
        s.transportFeedbackReceived = transportFeedback?.feedbackReceived ?? 0
        s.rembSent = remb?.rembSent ?? 0
        s.rembReceived = remb?.rembReceived ?? 0
        s.rtcpDropped = outbox.dropped
        return s
    }

    /// Packets waiting in the pacer.
    public var queuedPackets: Int { pacer.queuedPackets }
}
