import Testing
@testable import RTP

/// The transport pipeline end to end in simulated time: media in through the streams'
/// senders, RTCP in as parsed packets, everything that leaves parsed back.
@Suite struct TransportControllerTests {
    static let videoSSRC: UInt32 = 0x1111_1111
    static let rtxSSRC: UInt32 = 0x2222_2222
    static let audioSSRC: UInt32 = 0x3333_3333
    static let extensions = RTPHeaderExtensionMap(mid: 1, absSendTime: 2, transportSequenceNumber: 3)

    static func videoSender(historyMaxAge: Duration = .seconds(1)) -> RTPSendStream {
        RTPSendStream(configuration: RTPSendStreamConfiguration(
            ssrc: videoSSRC, payloadType: 96, clockRate: 90_000, rtxSSRC: rtxSSRC, rtxPayloadType: 97,
            extensions: extensions, mid: "v", historyMaxAge: historyMaxAge), initialSequenceNumber: 65000, initialRTXSequenceNumber: 100)
    }

    static func audioSender() -> RTPSendStream {
        RTPSendStream(configuration: RTPSendStreamConfiguration(
            ssrc: audioSSRC, payloadType: 111, clockRate: 48_000, extensions: extensions, mid: "a", historyCapacity: 128))
    }

    /// A fixed target (no estimator) so the figures below follow from it.
    static func configuration(target: Int = 1_000_000) -> RTPTransportConfiguration {
        RTPTransportConfiguration(rtcpSSRC: 0x4444_4444, receiveExtensions: extensions, bandwidthEstimation: nil,
                                  fixedTargetBitrate: target)
    }

    struct Out {
        var bytes: [UInt8]
        var kind: RTPTransmitKind
        var at: Duration
        var header: RTPHeader? { kind == .rtp ? try? RTPHeader.parse(bytes) : nil }
        var values: RTPHeaderExtensionValues { header.map { extensions.decode(bytes, header: $0) } ?? .init() }
    }

    /// Calls `input` every `tick` and `poll` at every deadline from `start` to `end`.
    static func run(
        _ c: inout RTPTransportController, from start: Duration = .zero, until end: Duration, tick: Duration,
        input: (inout RTPTransportController, Duration) throws -> Void
    ) throws -> [Out] {
        var out: [Out] = []
        var now = start
        var nextTick = start
        while now <= end {
            if now >= nextTick {
                try input(&c, now)
                nextTick += tick
            }
            try c.poll(at: now) { bytes, kind in out.append(Out(bytes: Array(bytes), kind: kind, at: now)) }
            let next = min(nextTick, c.nextDeadline ?? nextTick)
            now = next > now ? next : now + .microseconds(100)
        }
        return out
    }

    static func send(_ c: inout RTPTransportController, _ id: RTPTransportStreamID, size: Int, timestamp: UInt32,
                     at now: Duration) throws {
        let payload = [UInt8](repeating: 0x5A, count: size)
        try payload.withUnsafeBytes { try c.send(id, payload: $0, timestamp: timestamp, marker: true, at: now) }
    }

    static func nack(_ seqs: [UInt16]) -> [RTCPPacket] {
        [.genericNACK(RTCPGenericNACK(senderSSRC: 9, mediaSSRC: videoSSRC, lostSequenceNumbers: seqs))]
    }

    @Test func transportSequenceContiguousAcrossMediaRTXAndPaddingWithAbsSendTimeAtEgress() throws {
        var c = RTPTransportController(configuration: Self.configuration(), at: .zero)
        c.setTargetTransferRate(TargetTransferRate(at: .zero, targetBitrate: 400_000, pacingRate: 1_000_000, paddingRate: 600_000))
        let video = c.addStream(Self.videoSender(), kind: .video)
        let audio = c.addStream(Self.audioSender(), kind: .audio)
        var tick = 0
        let out = try Self.run(&c, until: .seconds(2), tick: .milliseconds(10)) { c, now in
            if tick % 2 == 0 { try Self.send(&c, audio, size: 100, timestamp: UInt32(tick * 480), at: now) }
            if tick % 3 == 0 { try Self.send(&c, video, size: 800, timestamp: UInt32(tick * 900), at: now) }
            if tick % 10 == 5 {  // NACK the video packet sent ~50 ms ago
                try c.handleRTCP(Self.nack([c.sender(video).sequenceNumber &- 2]), at: now)
            }
            tick += 1
        }
        let rtp = out.filter { $0.kind == .rtp }
        let seqs = rtp.map { $0.values.transportSequenceNumber }
        #expect(seqs == (0..<rtp.count).map { UInt16($0) })
        #expect(c.statistics.transportSequenceNumbersSent == Int64(rtp.count))
        // abs-send-time is the egress time, not the enqueue time.
        #expect(rtp.allSatisfy { $0.values.absSendTime == AbsSendTime.from($0.at) })
        let headers = rtp.compactMap(\.header)
        let media = headers.filter { $0.ssrc == Self.videoSSRC }.count
        let voice = headers.filter { $0.ssrc == Self.audioSSRC }.count
        let rtx = headers.filter { $0.ssrc == Self.rtxSSRC && !$0.payloadRange.isEmpty }.count
        let paddingOnly = headers.filter { $0.ssrc == Self.rtxSSRC && $0.payloadRange.isEmpty && $0.padding }.count
        print("controller: \(rtp.count) packets, tw-seq 0...\(rtp.count - 1) contiguous: \(media) video, \(voice) audio, \(rtx) RTX, \(paddingOnly) padding-only")
        #expect(media == 67 && voice == 101)
        #expect(rtx >= c.statistics.nack.retransmissionsQueued && c.statistics.nack.retransmissionsQueued >= 19)
        #expect(paddingOnly > 0)
        #expect(c.statistics.packetsWithoutSlot == 0)
        // RTX sequence numbers run on across answers and padding (one RTX stream).
        let rtxSeqs = headers.filter { $0.ssrc == Self.rtxSSRC }.map(\.sequenceNumber)
        #expect(rtxSeqs == (0..<rtxSeqs.count).map { UInt16(100 + $0) })
    }

    @Test func rtxBudgetHoldsUnderANACKStorm() throws {
        // 1 Mbit/s target: RTX may take 25 %, 250 kbit/s. Video at ~850 kbit/s; every 10 ms the
        // receiver NACKs everything of the last 300 ms (a storm: 30× the media rate asked).
        var c = RTPTransportController(configuration: Self.configuration(target: 1_000_000), at: .zero)
        let video = c.addStream(Self.videoSender(), kind: .video)
        var sentSeqs: [UInt16] = []
        let out = try Self.run(&c, until: .seconds(10), tick: .milliseconds(10)) { c, now in
            sentSeqs.append(c.sender(video).sequenceNumber)
            try Self.send(&c, video, size: 1000, timestamp: UInt32(now / .milliseconds(1)) * 90, at: now)
            let recent = sentSeqs.suffix(31).dropLast()
            if !recent.isEmpty { try c.handleRTCP(Self.nack(Array(recent)), at: now) }
        }
        let rtxBytes = out.filter { $0.header?.ssrc == Self.rtxSSRC }.reduce(0) { $0 + $1.bytes.count + 10 }
        let rtxRate = Double(rtxBytes) * 8 / 10
        let s = c.statistics.nack
        print("controller: NACK storm: RTX at \(Int(rtxRate)) bit/s for a budget of 250000 bit/s; \(s.retransmissionsQueued) answered, \(s.refusedOverBudget) refused over budget")
        #expect(rtxRate <= 250_000 * 1.03)
        #expect(rtxRate >= 250_000 * 0.9)
        #expect(s.refusedOverBudget > 10 * s.retransmissionsQueued)
        // Media still flowed at its own rate.
        let mediaPackets = out.filter { $0.header?.ssrc == Self.videoSSRC }.count
        #expect(mediaPackets >= 995)
    }

    @Test func nacksForPacketsPastTheirUseAreNotAnswered() throws {
        var c = RTPTransportController(configuration: Self.configuration(), at: .zero)
        // A history that keeps more than the stage would resend: the stage's age limit decides.
        let video = c.addStream(Self.videoSender(historyMaxAge: .seconds(5)), kind: .video)
        let first = c.sender(video).sequenceNumber
        var out = try Self.run(&c, until: .milliseconds(1200), tick: .milliseconds(100)) { c, now in
            try Self.send(&c, video, size: 500, timestamp: 0, at: now)
        }
        // At 1200 ms: the packet from 0 ms (1200 ms old) is past the 1 s limit (no RTT known),
        // the one from 300 ms (900 ms old) is not; 1234 was never sent.
        try c.handleRTCP(Self.nack([first, first &+ 3, 1234]), at: .milliseconds(1200))
        out = try Self.run(&c, from: .milliseconds(1200), until: .milliseconds(1300), tick: .seconds(1)) { _, _ in }
        let rtx = out.compactMap(\.header).filter { $0.ssrc == Self.rtxSSRC }
        #expect(rtx.count == 1)
        #expect(c.statistics.nack.refusedTooOld == 1)
        #expect(c.statistics.nack.notInHistory == 1)
        #expect(c.statistics.nack.retransmissionsQueued == 1)
    }

    @Test func keyframeRequestsAreRateLimitedPerStream() throws {
        var c = RTPTransportController(configuration: Self.configuration(), at: .zero)
        _ = c.addStream(Self.videoSender(), kind: .video)
        while c.pollEvent() != nil {}
        // A PLI every 10 ms for 3 s: at most one keyframe per 300 ms.
        for ms in stride(from: 0, to: 3000, by: 10) {
            try c.handleRTCP([.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 9, mediaSSRC: Self.videoSSRC))],
                             at: .milliseconds(ms))
        }
        var requests = 0
        while let event = c.pollEvent() {
            if case .keyframeRequested(let ssrc, let reason) = event {
                #expect(ssrc == Self.videoSSRC && reason == .pictureLossIndication)
                requests += 1
            }
        }
        print("controller: 300 PLIs in 3 s -> \(requests) keyframe requests, \(c.statistics.keyframeRequests.suppressed) suppressed")
        #expect(requests == 10)
        #expect(c.statistics.keyframeRequests.suppressed == 290)
    }

    @Test func incomingREMBAndTransportFeedbackReachTheEstimator() throws {
        // REMB is a ceiling: by the estimator's next process, the target is under it.
        var c = RTPTransportController(
            configuration: RTPTransportConfiguration(rtcpSSRC: 1, receiveExtensions: Self.extensions), at: .zero)
        _ = c.addStream(Self.videoSender(), kind: .video)
        #expect(c.pollEvent() == .targetChanged(c.target))
        try c.handleRTCP([.receiverEstimatedMaximumBitrate(RTCPReceiverEstimatedMaximumBitrate(
            senderSSRC: 9, bitrate: 200_000, ssrcs: [Self.videoSSRC]))], at: .seconds(1))
        c.handleTimeout(at: .seconds(1) + .milliseconds(30))
        #expect(c.target.targetBitrate <= 200_000 && c.target.pacingRate == c.target.targetBitrate * 5 / 2)
        var last: TargetTransferRate?
        while let event = c.pollEvent() { if case .targetChanged(let t) = event { last = t } }
        #expect(last?.targetBitrate == c.target.targetBitrate && last?.limitedBy == .remb)
        try c.handleRTCP([.transportFeedback(RTCPTransportFeedback(
            senderSSRC: 9, mediaSSRC: Self.videoSSRC, baseSequenceNumber: 0, referenceTime: 0, feedbackPacketCount: 0,
            packetStatuses: [.received(delta: 4)]))], at: .seconds(1))
        #expect(c.statistics.transportFeedbackReceived == 1 && c.statistics.rembReceived == 1)
    }

    @Test func receiveSideFeedsTheFeedbackGeneratorOrElseTheREMBEstimator() throws {
        var sender = RTPTransportController(configuration: Self.configuration(), at: .zero)
        let video = sender.addStream(Self.videoSender(), kind: .video)
        let out = try Self.run(&sender, until: .milliseconds(500), tick: .milliseconds(33)) { c, now in
            try Self.send(&c, video, size: 1000, timestamp: 0, at: now)
        }
        var receiver = RTPTransportController(configuration: Self.configuration(), at: .zero)
        var withoutTWCC = Self.configuration()
        withoutTWCC.transportWideCongestionControl = false
        var receiverWithoutTWCC = RTPTransportController(configuration: withoutTWCC, at: .zero)
        for o in out where o.kind == .rtp {
            let header = try RTPHeader.parse(o.bytes)
            o.bytes.withUnsafeBytes { receiver.receivedRTP($0, header: header, at: o.at + .milliseconds(20)) }
            o.bytes.withUnsafeBytes { receiverWithoutTWCC.receivedRTP($0, header: header, at: o.at + .milliseconds(20)) }
        }
        let n = out.filter { $0.kind == .rtp }.count
        #expect(n == 16)
        #expect(receiver.transportFeedback?.packetsReceived == n)
        #expect(receiver.transportFeedback?.lastReceivedSequenceNumber == UInt16(n - 1))
        // Numbered packets are the sender's to estimate (libwebrtc): no REMB estimate, no timer for it.
        #expect(receiver.remb?.packetsReceived == 0)
        #expect(receiver.remb?.nextProcess == nil)
        #expect(receiverWithoutTWCC.transportFeedback == nil)
        #expect(receiverWithoutTWCC.remb?.packetsReceived == n)
        #expect(receiverWithoutTWCC.remb?.lastAbsSendTime == AbsSendTime.from(out.last { $0.kind == .rtp }!.at))
        // The REMB timer runs once packets without a transport-wide number arrived.
        #expect(receiverWithoutTWCC.nextDeadline != nil)
    }

    @Test func featuresAreTheUnionOfTheInstalledStages() {
        let all = RTPTransportConfiguration(rtcpSSRC: 1)
        #expect(all.features(for: .video) == RTPStageFeatures(
            rtcpFeedback: ["nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"],
            headerExtensions: [RTPHeaderExtensionURI.absSendTime, RTPHeaderExtensionURI.transportSequenceNumber]))
        #expect(all.features(for: .audio) == RTPStageFeatures(
            rtcpFeedback: ["transport-cc"],
            headerExtensions: [RTPHeaderExtensionURI.absSendTime, RTPHeaderExtensionURI.transportSequenceNumber]))

        var noTWCC = all
        noTWCC.transportWideCongestionControl = false
        #expect(noTWCC.features(for: .video) == RTPStageFeatures(
            rtcpFeedback: ["nack", "nack pli", "ccm fir", "goog-remb"], headerExtensions: [RTPHeaderExtensionURI.absSendTime]))

        var twccOnly = noTWCC
        twccOnly.transportWideCongestionControl = true
        twccOnly.remb = nil
        twccOnly.nackResponder = nil
        twccOnly.keyframeRequests?.answersFullIntraRequest = false
        #expect(twccOnly.features(for: .video) == RTPStageFeatures(
            rtcpFeedback: ["nack pli", "transport-cc"], headerExtensions: [RTPHeaderExtensionURI.transportSequenceNumber]))

        var bare = twccOnly
        bare.transportWideCongestionControl = false
        bare.keyframeRequests = nil
        #expect(bare.features(for: .video) == .none)
        // The controller advertises what its configuration installed.
        #expect(RTPTransportController(configuration: noTWCC, at: .zero).features(for: .video) == noTWCC.features(for: .video))
    }

    @Test func senderReportsAreScheduledByTheController() throws {
        var config = Self.configuration()
        config.ntpTimeAtZero = NTPTime.timestamp(.seconds(3_900_000_000))
        var c = RTPTransportController(configuration: config, at: .zero)
        let video = c.addStream(Self.videoSender(), kind: .video)
        let out = try Self.run(&c, until: .milliseconds(3200), tick: .milliseconds(100)) { c, now in
            try Self.send(&c, video, size: 500, timestamp: UInt32(now / .milliseconds(1)) * 90, at: now)
        }
        let reports = try out.filter { $0.kind == .rtcp }.map { o in (try RTCPPacket.parseCompound(o.bytes), o.at) }
        // The first 500 ms after the first packet, then every second.
        #expect(reports.map(\.1) == [.milliseconds(500), .milliseconds(1500), .milliseconds(2500)])
        for (packets, at) in reports {
            guard case .senderReport(let sr) = packets.first else { Issue.record("not an SR"); continue }
            #expect(sr.ssrc == Self.videoSSRC)
            #expect(sr.ntpTimestamp == config.ntpTimeAtZero &+ NTPTime.timestamp(at))
            #expect(sr.rtpTimestamp == UInt32(at / .milliseconds(1)) * 90)
        }
        #expect(c.statistics.senderReportsSent == 3)
    }

    @Test func removedStreamsDropWhatTheyQueued() throws {
        var c = RTPTransportController(configuration: Self.configuration(target: 100_000), at: .zero)
        let video = c.addStream(Self.videoSender(), kind: .video)
        for _ in 0..<20 { try Self.send(&c, video, size: 1000, timestamp: 0, at: .zero) }
        try c.poll(at: .zero) { _, _ in }
        let queued = c.queuedPackets
        #expect(queued > 0)
        c.removeStream(video)
        try Self.send(&c, video, size: 1000, timestamp: 0, at: .zero)
        #expect(c.queuedPackets == 0)
        #expect(c.statistics.pacer.packetsDroppedStreamRemoved == queued)
        #expect(c.statistics.packetsForRemovedStreams == 1)
    }
}

extension TransportControllerTests {
    @Test func probeClusterLeavesAtItsRateWithRTXOfTheNewestPacketAsPadding() throws {
        // 300 kbit/s target (750 kbit/s pacing); at 500 ms a 2 Mbit/s cluster of 5 probes and
        // 3750 bytes. Video sends one 800-byte packet every 33 ms, so most of each 1000-byte
        // probe is the newest video packet again, as RTX (RFC 4588), the rest padding-only.
        var c = RTPTransportController(configuration: Self.configuration(target: 300_000), at: .zero)
        let video = c.addStream(Self.videoSender(), kind: .video)
        var probing = false
        let out = try Self.run(&c, until: .seconds(1), tick: .milliseconds(33)) { c, now in
            try Self.send(&c, video, size: 800, timestamp: 0, at: now)
            if now >= .milliseconds(500) && !probing {
                probing = true
                c.addProbeCluster(ProbeCluster(id: 1, bitrate: 2_000_000, minimumProbes: 5, minimumBytes: 3750, createdAt: now),
                                  at: now)
            }
        }
        let stats = c.statistics.pacer
        #expect(stats.probeClustersCompleted == 1)
        let rtp = out.filter { $0.kind == .rtp }
        #expect(rtp.map { $0.values.transportSequenceNumber } == (0..<rtp.count).map { UInt16($0) })
        // The probe's packets: RTX-SSRC packets (no NACKs here, so all of them are padding).
        let probe = rtp.filter { $0.header?.ssrc == Self.rtxSSRC }
        let asRTX = probe.filter { !$0.header!.payloadRange.isEmpty }
        #expect(!asRTX.isEmpty && asRTX.count < probe.count)
        for p in asRTX {  // the OSN is a video packet sent before the probe
            let h = p.header!
            let osn = UInt16(p.bytes[h.payloadRange.lowerBound]) << 8 | UInt16(p.bytes[h.payloadRange.lowerBound + 1])
            #expect(rtp.contains { $0.header?.ssrc == Self.videoSSRC && $0.header?.sequenceNumber == osn && $0.at <= p.at })
        }
        // Media queued at a probe's time is part of it: rate over every packet in the window.
        let times = Array(Set(probe.map(\.at))).sorted()
        let window = rtp.filter { $0.at >= times.first! && $0.at <= times.last! }
        let bytes = window.reduce(0) { $0 + $1.bytes.count + 10 }
        let last = window.filter { $0.at == times.last! }.reduce(0) { $0 + $1.bytes.count + 10 }
        let rate = Double(bytes - last) * 8 / (times.last! - times.first!).seconds
        print("controller: probe at 2000000 bit/s left at \(Int(rate)) bit/s in \(times.count) probes: \(window.count) packets (\(asRTX.count) RTX of the newest packet, \(probe.count - asRTX.count) padding-only), \(bytes) bytes")
        #expect(times.count >= 5)
        #expect(abs(rate - 2_000_000) / 2_000_000 < 0.1)
    }
}

extension TransportControllerTests {
    @Test func withoutAnRTXStreamThereIsNoPaddingAndProbesAreAbandoned() throws {
        var c = RTPTransportController(configuration: Self.configuration(), at: .zero)
        c.setTargetTransferRate(TargetTransferRate(at: .zero, targetBitrate: 500_000, pacingRate: 1_250_000, paddingRate: 500_000))
        let audio = c.addStream(Self.audioSender(), kind: .audio)
        c.addProbeCluster(ProbeCluster(id: 3, bitrate: 1_000_000, minimumBytes: 2000, createdAt: .milliseconds(100)),
                          at: .milliseconds(100))
        let out = try Self.run(&c, until: .seconds(1), tick: .milliseconds(20)) { c, now in
            try Self.send(&c, audio, size: 100, timestamp: 0, at: now)
        }
        #expect(out.filter { $0.kind == .rtp }.count == 51)  // audio only
        #expect(c.statistics.pacer.paddingPacketsSent == 0)
        #expect(c.statistics.pacer.probeClustersAbandoned == 1)
        // The first probe (at 100 ms, with an audio packet queued) sent that packet and asked for
        // padding for the rest; the second found nothing to send and gave the cluster up.
        #expect(c.statistics.paddingUnavailable == 2)
    }

    /// The estimator's 25 ms work runs at the first poll after it is due (a frame, feedback),
    /// and the timer waits for it only `processSlack` longer: an idle loop is not woken 40
    /// times a second for it. With no slack the timer is at the due time.
    @Test func theEstimatorsPeriodicWorkRidesOnPollsWithinItsSlack() throws {
        func controller(slack: Duration) -> RTPTransportController {
            RTPTransportController(configuration: RTPTransportConfiguration(
                rtcpSSRC: 0x4444_4444, receiveExtensions: Self.extensions, remb: nil,
                bandwidthEstimation: BandwidthEstimationStage.Configuration(processSlack: slack)), at: .zero)
        }
        var c = controller(slack: .milliseconds(25))
        #expect(c.bandwidthEstimation?.nextProcess == .milliseconds(25))
        #expect(c.nextDeadline == .milliseconds(50))
        // Not due yet at 20 ms: nothing runs, the deadline stays.
        try c.poll(at: .milliseconds(20)) { _, _ in }
        #expect(c.bandwidthEstimation?.nextProcess == .milliseconds(25))
        // A poll at 30 ms (a frame came) runs it, and the next is due 25 ms after that.
        try c.poll(at: .milliseconds(30)) { _, _ in }
        #expect(c.bandwidthEstimation?.nextProcess == .milliseconds(55))
        #expect(c.nextDeadline == .milliseconds(80))
        // Nothing else polls: the timer at the slack's end runs it.
        try c.poll(at: .milliseconds(80)) { _, _ in }
        #expect(c.bandwidthEstimation?.nextProcess == .milliseconds(105))

        let strict = controller(slack: .zero)
        #expect(strict.nextDeadline == .milliseconds(25))
    }

    /// The loop's timer as `MediaTransport` keeps it: armed at the controller's deadline, moved
    /// only to an earlier one (moving it from an encoder's thread wakes the loop as well), and
    /// expiring even when a poll did the work. With a microphone polling every 20 ms the
    /// estimator's default backstop (1 s past due) leaves the timer a few expiries in 10 s; at
    /// 100 ms it expired about ten times a second for nothing.
    @Test func mediaPollsLeaveTheLoopsTimerAlmostIdle() throws {
        func expiries(slack: Duration?) throws -> Int {
            let estimation = slack.map { BandwidthEstimationStage.Configuration(processSlack: $0) }
                ?? BandwidthEstimationStage.Configuration()
            var c = RTPTransportController(configuration: RTPTransportConfiguration(
                rtcpSSRC: 0x4444_4444, receiveExtensions: Self.extensions, remb: nil, bandwidthEstimation: estimation), at: .zero)
            let audio = c.addStream(Self.audioSender(), kind: .audio)
            var armed: Duration?
            var expired = 0
            var now = Duration.zero
            var nextPacket = Duration.zero
            while now <= .seconds(10) {
                if let a = armed, a <= now {
                    expired += 1
                    armed = nil
                }
                if now >= nextPacket {
                    try Self.send(&c, audio, size: 100, timestamp: 0, at: now)
                    nextPacket += .milliseconds(20)
                }
                try c.poll(at: now) { _, _ in }
                if let next = c.nextDeadline, armed.map({ next < $0 }) ?? true { armed = max(next, now + .milliseconds(1)) }
                now = min(nextPacket, armed ?? nextPacket)
            }
            return expired
        }
        let backstop = try expiries(slack: nil)
        let tight = try expiries(slack: .milliseconds(100))
        print("controller: the loop's timer expired \(backstop) times in 10 s of 20 ms audio polls (\(tight) with a 100 ms slack)")
        #expect(backstop <= 15)
        #expect(tight >= 50)
    }
}
