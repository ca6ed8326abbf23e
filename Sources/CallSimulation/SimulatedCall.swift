import ICE
import MediaCapture
import NIOCore
import NIOEmbedded
import NetworkPrimitives
import PeerConnection
import Synchronization
import VirtualNetwork

/// A whole call in simulated time: a synthetic camera and microphone paced by a test event
/// loop, a sending `RTCPeerConnection` and a receiving one on a `SimulatedNetwork` whose
/// forward link follows a scenario, ICE, DTLS-SRTP, the encoders and the decoders, all on one
/// `NIOAsyncTestingEventLoop`. 40 simulated seconds of 720p take a few seconds of real
/// time (the encoder's), and the same seed gives the same call.
public enum SimulatedCall {
    public struct Configuration: Sendable {
        public var seed: UInt64 = 1
        /// The sender's getUserMedia constraints (the camera offers 1280x720@30 and 640x480@30).
        public var constraints = #"{"video": {"width": 1280, "height": 720}, "audio": true}"#
        /// Sender → receiver.
        public var forward: LinkScenario
        /// Receiver → sender (feedback). Unset: the forward scenario, as `tincan link` and
        /// `tincan loopback --link` apply one spec to both directions (feedback is lost too).
        public var reverse: LinkScenario?
        public var duration: Duration = .seconds(40)
        public var sampleInterval: Duration = .milliseconds(250)
        public var maxBitrate: Int?
        /// How long the camera runs before the offer (a user's preview): the sender's warm-up
        /// picture is there when the call connects.
        public var captureLead: Duration = .zero
        /// The sender's modelled cost of encoding a frame of a size (a slower machine): the
        /// CPU-overuse adaptation reads it. Nil: encoding is free, as simulated time sees it.
        public var videoEncodeTime: (@Sendable (_ width: Int, _ height: Int) -> Duration)?
        /// The receiver's `RTCConfiguration.receiveBitrate` (its answer's `b=TIAS`/`b=AS`).
        public var receiveBitrate: UInt64?
        /// Rewrites the receiver's answer before the sender applies it (what a peer's SDP
        /// could say: `b=AS`, fmtp).
        public var editAnswer: (@Sendable (String) -> String)?

        public init(forward: LinkScenario, duration: Duration = .seconds(40)) {
            self.forward = forward
            self.duration = duration
        }
    }

    /// What a person would look at: how much arrived, how smoothly, and over time.
    public struct Report: Sendable, Codable {
        public struct Sample: Sendable, Codable {
            public var t: Double
            public var capacityBps: Int?
            public var targetBitrate: Double?
            public var availableOutgoingBitrate: Double?
            public var mediaBps: Double
            public var retransmissionBps: Double
            public var paddingBps: Double
            public var framesDecodedPerSecond: Double
            public var frameWidth: Int?
            public var frameHeight: Int?
            public var framesPerSecondSent: Double?
            public var meanFrameBytes: Double?
            /// The mean quantizer of the frames sent in the interval (qpSum over framesSent).
            public var meanQP: Double?
            public var queueingDelayMaxMs: Double?
            public var linkLossRatio: Double
            public var qualityLimitationReason: String?
            /// What holds the transport's target (the estimator's `BandwidthLimit`).
            public var bandwidthLimitedBy: String?
            /// Packets waiting in the pacer.
            public var pacerQueuedPackets: Double?
            /// What the sender put on the link over the sample interval (all packets), bit/s.
            public var offeredBps: Double?
            /// Non-standard outbound-rtp members: libvpx frame dropping (video) and Opus's
            /// expected loss and FEC (audio).
            public var encoderFrameDropping: Bool?
            public var opusPacketLossPerc: Double?
            public var opusInbandFec: Bool?
        }

        public var framesCaptured: Int = 0
        /// The sender's `transport` stats at the end (the pipeline's counters).
        public var senderTransport: [String: Double] = [:]
        public var framesSent: Int = 0
        public var framesDecoded: Int = 0
        public var decodedRatio: Double = 0
        public var longestFreezeMs: Double = 0
        /// When the longest freeze began: seconds after the call connected (negative: before).
        public var longestFreezeAtS: Double = 0
        public var maxDecodedFramesInOneSecond: Int = 0
        public var meanDecodedFps: Double = 0
        public var linkDropRatio: Double = 0
        public var queueingDelayP95Ms: Double = 0
        public var meanSendBitrate: Double = 0
        public var keyFramesSent: Int = 0
        public var pliCount: Int = 0
        public var connectedAfterMs: Double = 0
        /// From the offer to the first decoded picture (the README's offer-to-first-frame).
        public var firstFrameDecodedAfterMs: Double?
        public var samples: [Sample] = []
    }

    static let senderIP = IPAddress("10.0.0.1")!
    static let receiverIP = IPAddress("10.0.0.2")!

    /// Runs the call; throws when it does not connect within 10 simulated seconds.
    public static func run(_ c: Configuration) async throws -> Report {
        let loop = NIOAsyncTestingEventLoop()
        do {
            let report = try await run(c, on: loop)
            await loop.shutdownGracefully()
            return report
        } catch {
            await loop.shutdownGracefully()
            throw error
        }
    }

    private static func run(_ c: Configuration, on loop: NIOAsyncTestingEventLoop) async throws -> Report {
        // Frame timestamps of 0 read as "no time" in places: start the clock at 1 s.
        await loop.advanceTime(by: .seconds(1))
        let network = SimulatedNetwork(eventLoop: loop, seed: c.seed)
        network.setLink(from: senderIP, to: receiverIP, scenario: c.forward, sampleInterval: c.sampleInterval)
        network.setLink(from: receiverIP, to: senderIP, scenario: c.reverse ?? c.forward)

        let pacer = LoopCapturePacer(eventLoop: loop)
        let devices = MediaDevices(
            videoDevices: [SyntheticCamera(modes: [VideoMode(width: 1280, height: 720, frameRate: 30),
                                                    VideoMode(width: 640, height: 480, frameRate: 30)], pacer: pacer)],
            audioDevices: [SyntheticMicrophone(pacer: pacer)],
            permissions: StaticPermissions(granted: [.camera, .microphone]), indicator: SilentCaptureIndicator(),
            options: .init(pacer: pacer))  // a disabled track's timers on the simulated clock too
        let stream = try await devices.getUserMedia(jsonText: c.constraints)

        var configuration = RTCConfiguration()
        configuration.maxBitrate = c.maxBitrate
        var senderSettings = RTCSettingEngine(eventLoop: loop, network: network.host(senderIP), encodesOnEventLoop: true, simulatedTime: true)
        senderSettings.simulatedVideoEncodeTime = c.videoEncodeTime
        let sender = try RTCPeerConnection(configuration: configuration, settings: senderSettings)
        var receiverConfiguration = RTCConfiguration()
        receiverConfiguration.receiveBitrate = c.receiveBitrate
        let receiver = try RTCPeerConnection(configuration: receiverConfiguration, settings: RTCSettingEngine(
            eventLoop: loop, network: network.host(receiverIP), encodesOnEventLoop: true, simulatedTime: true))
        for track in stream.getTracks() { try sender.addTransceiver(track, direction: .sendonly) }

        if c.captureLead > .zero { await loop.advanceTime(by: .nanoseconds(c.captureLead.nanosecondsRounded)) }
        let offeredAt = loop.now
        let offer = try await sender.createOffer()
        try await sender.setLocalDescription(offer)
        try await receiver.setRemoteDescription(offer)
        let answer = try await receiver.createAnswer()
        try await receiver.setLocalDescription(answer)
        try await sender.setRemoteDescription(c.editAnswer.map { RTCSessionDescription(type: answer.type, sdp: $0(answer.sdp)) } ?? answer)

        let decoded = Mutex<[(at: UInt64, frame: Int?)]>([])
        for r in receiver.getReceivers() where r.kind == .video {
            r.addVideoSink { picture in
                let at = loop.now.uptimeNanoseconds
                let n = SyntheticPattern.readFrameNumber(from: picture)
                decoded.withLock { $0.append((at, n)) }
            }
        }

        let start = loop.now
        while sender.connectionState != .connected || receiver.connectionState != .connected {
            if sender.connectionState == .failed || receiver.connectionState == .failed {
                throw RTCError(.operationError, "the simulated call failed: \(sender.failureReason ?? receiver.failureReason ?? "?")")
            }
            guard loop.now - start < .seconds(10) else { throw RTCError(.operationError, "the simulated call did not connect in 10 s") }
            await loop.advanceTime(by: .milliseconds(5))
        }
        var report = Report()
        report.connectedAfterMs = Double((loop.now - start).nanoseconds) / 1e6
        let mediaStart = loop.now

        // Run, sampling getStats at every interval.
        let interval = TimeAmount.nanoseconds(c.sampleInterval.nanosecondsRounded)
        var previous: (bytes: Double, rtx: Double, padding: Double, frames: Int, qpSum: Double, framesSent: Double)?
        var elapsed: TimeAmount = .zero
        var linkBytes = network.statistics(from: senderIP, to: receiverIP)?.total.bytesSent ?? 0
        let total = TimeAmount.nanoseconds(c.duration.nanosecondsRounded)
        while elapsed < total {
            await loop.advanceTime(by: interval)
            elapsed = elapsed + interval
            let t = Double(elapsed.nanoseconds) / 1e9
            let stats = sender.getStats()
            let out = stats.first(type: "outbound-rtp", kind: "video")
            let pair = stats.first(type: "candidate-pair")
            let bytes = out?.number("bytesSent") ?? 0, rtx = out?.number("retransmittedBytesSent") ?? 0
            let padding = stats.first(type: "transport")?.number("paddingBytesSent") ?? 0
            let framesSent = out?.number("framesSent") ?? 0
            let qpSum = out?.number("qpSum") ?? 0
            let frames = decoded.withLock { $0.count }
            let seconds = Double(interval.nanoseconds) / 1e9
            let link = network.statistics(from: senderIP, to: receiverIP)?.intervals.last
            var sample = Report.Sample(
                t: t, capacityBps: network.capacity(from: senderIP, to: receiverIP),
                targetBitrate: out?.number("targetBitrate"), availableOutgoingBitrate: pair?.number("availableOutgoingBitrate"),
                mediaBps: 0, retransmissionBps: 0, paddingBps: 0, framesDecodedPerSecond: 0,
                frameWidth: (out?.number("frameWidth")).map { Int($0) }, frameHeight: (out?.number("frameHeight")).map { Int($0) },
                framesPerSecondSent: out?.number("framesPerSecond"), meanFrameBytes: nil,
                queueingDelayMaxMs: link?.queueingDelayMaxMs,
                linkLossRatio: link.map { $0.offeredPackets == 0 ? 0 : Double($0.droppedPackets) / Double($0.offeredPackets) } ?? 0,
                qualityLimitationReason: out?.string("qualityLimitationReason"),
                bandwidthLimitedBy: stats.first(type: "transport")?.string("bandwidthLimitedBy"),
                pacerQueuedPackets: stats.first(type: "transport")?.number("pacerQueuedPackets"))
            let audio = stats.first(type: "outbound-rtp", kind: "audio")
            sample.encoderFrameDropping = out?.bool("encoderFrameDropping")
            sample.opusPacketLossPerc = audio?.number("opusPacketLossPerc")
            sample.opusInbandFec = audio?.bool("opusInbandFec")
            if let total = network.statistics(from: senderIP, to: receiverIP)?.total.bytesSent {
                sample.offeredBps = Double(total - linkBytes) * 8 / seconds
                linkBytes = total
            }
            if let p = previous {
                sample.mediaBps = (bytes - p.bytes - (rtx - p.rtx)) * 8 / seconds
                sample.retransmissionBps = (rtx - p.rtx) * 8 / seconds
                sample.paddingBps = (padding - p.padding) * 8 / seconds
                sample.framesDecodedPerSecond = Double(frames - p.frames) / seconds
                let sent = framesSent - p.framesSent
                sample.meanFrameBytes = sent > 0 ? (bytes - p.bytes - (rtx - p.rtx)) / sent : nil
                sample.meanQP = sent > 0 ? (qpSum - p.qpSum) / sent : nil
            }
            previous = (bytes, rtx, padding, frames, qpSum, framesSent)
            report.samples.append(sample)
        }

        // Summary.
        let stats = sender.getStats()
        let out = stats.first(type: "outbound-rtp", kind: "video")
        report.framesSent = Int(out?.number("framesSent") ?? 0)
        for (key, value) in stats.first(type: "transport")?.members ?? [] {
            if case .number(let v) = value { report.senderTransport[key] = v }
        }
        report.keyFramesSent = Int(out?.number("keyFramesEncoded") ?? 0)
        report.pliCount = Int(out?.number("pliCount") ?? 0)
        report.framesCaptured = Int(stats.first(type: "media-source", kind: "video")?.number("frames") ?? 0)
        let arrivals = decoded.withLock { $0 }
        report.framesDecoded = arrivals.count
        report.firstFrameDecodedAfterMs = arrivals.first.map { (Double($0.at) - Double(offeredAt.uptimeNanoseconds)) / 1e6 }
        report.decodedRatio = report.framesSent == 0 ? 0 : Double(report.framesDecoded) / Double(report.framesSent)
        var longest: UInt64 = 0, longestFrom: UInt64 = mediaStart.uptimeNanoseconds
        for i in arrivals.indices.dropFirst() where arrivals[i].at - arrivals[i - 1].at > longest {
            longest = arrivals[i].at - arrivals[i - 1].at
            longestFrom = arrivals[i - 1].at
        }
        if let last = arrivals.last, loop.now.uptimeNanoseconds - last.at > longest {
            longest = loop.now.uptimeNanoseconds - last.at
            longestFrom = last.at
        }
        report.longestFreezeMs = Double(longest) / 1e6
        report.longestFreezeAtS = (Double(longestFrom) - Double(mediaStart.uptimeNanoseconds)) / 1e9
        var perSecond: [Int: Int] = [:]
        // A frame can decode before both sides report `connected`: it counts in the first second.
        let startNs = mediaStart.uptimeNanoseconds
        for a in arrivals { perSecond[Int((max(a.at, startNs) - startNs) / 1_000_000_000), default: 0] += 1 }
        report.maxDecodedFramesInOneSecond = perSecond.values.max() ?? 0
        report.meanDecodedFps = Double(arrivals.count) / max(0.001, Double(c.duration.nanosecondsRounded) / 1e9)
        if let link = network.statistics(from: senderIP, to: receiverIP) {
            report.linkDropRatio = link.total.datagramsSent == 0 ? 0 : Double(link.total.lossCount) / Double(link.total.datagramsSent)
            let delays = link.intervals.compactMap(\.queueingDelayMaxMs).sorted()
            report.queueingDelayP95Ms = delays.isEmpty ? 0 : delays[min(delays.count - 1, Int(Double(delays.count) * 0.95))]
        }
        report.meanSendBitrate = (out?.number("bytesSent") ?? 0) * 8 / max(0.001, Double(c.duration.nanosecondsRounded) / 1e9)

        for track in stream.getTracks() { track.stop() }
        await sender.close()
        await receiver.close()
        await loop.advanceTime(by: .milliseconds(100))
        return report
    }
}

extension RTCStatsReport.Entry {
    /// A numeric member by its webrtc-stats name.
    public func number(_ name: String) -> Double? {
        for (key, value) in members where key == name { if case .number(let v) = value { return v } }
        return nil
    }

    public func string(_ name: String) -> String? {
        for (key, value) in members where key == name { if case .string(let v) = value { return v } }
        return nil
    }

    public func bool(_ name: String) -> Bool? {
        for (key, value) in members where key == name { if case .bool(let v) = value { return v } }
        return nil
    }
}
