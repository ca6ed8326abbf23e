/// The sender's video adaptation (sans-I/O, simulated time): from the target bitrate and the
/// encoder's per-frame time it picks the rung of the degradation ladder to send, and keeps
/// what getStats reports: qualityLimitationReason, qualityLimitationDurations and
/// qualityLimitationResolutionChanges (webrtc-stats §"RTCOutboundRtpStreamStats").
///
/// Two pressures, each a position on the same ladder; the lower rung wins:
/// - bandwidth: a rung is carried when the target gives it at least `minBitsPerPixel` bits
///   per pixel per frame; down to the first carried rung when not (after `cooldown`), up (to the
///   highest rung so carried) when the rung above gets `recoverBitsPerPixel` for `stableDuration`;
/// - cpu, like libwebrtc's OveruseFrameDetector: the encode time as a share of the frame
///   interval, smoothed; above `overuse` on two checks in a row is overuse (one rung down),
///   below `underuse` for `stableDuration` is underuse (one rung up).
/// All times are nanoseconds on the caller's monotonic clock (the capture clock).
public struct VideoAdaptation: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Below this a rung cannot be carried (about VP8's 720p/540p floor in libwebrtc's
        /// encoder bitrate limits: 1.5 Mbit/s at 1280x720@30 is 0.054).
        public var minBitsPerPixel = 0.05
        /// The rung above must get this much to come back (hysteresis: 5 % over
        /// `minBitsPerPixel`, beside the cooldown and `stableDuration`). No more: an encoder
        /// that cannot fill its target (simple content at its best quantizer) keeps the
        /// estimate near what it sends, and with a 10 % margin a call back on a 2 Mbit/s link
        /// (estimate 1.54 Mbit/s) stayed at 720p@20 where it had sent 720p@30 before the drop.
        public var recoverBitsPerPixel = 0.0525
        /// The shortest time between two changes.
        public var cooldown: UInt64 = 1_000_000_000
        /// How long a recovery condition must hold.
        public var stableDuration: UInt64 = 4_000_000_000
        /// Encode time per frame interval above which the CPU is overused (libwebrtc: 85 %).
        public var overuse = 0.85
        /// ... and below which it is underused.
        public var underuse = 0.5
        /// How often the CPU usage is checked.
        public var cpuCheckInterval: UInt64 = 1_000_000_000
        /// Sizes stop at this many pixels (libwebrtc's kMinPixelsPerFrame for VP8: 320x180).
        public var minPixels = 320 * 180
        public init() {}
    }

    /// What to send now.
    public struct Decision: Sendable, Equatable {
        public var rung: VideoRung
        public var reason: QualityLimitationReason
        public var width: Int { rung.width }
        public var height: Int { rung.height }
        public var frameRate: Double { rung.frameRate }
        public var encoderMayDropFrames: Bool { rung.encoderMayDropFrames }
    }

    public let configuration: Configuration
    public private(set) var bounds: VideoAdaptationBounds
    public private(set) var preference: DegradationPreference
    public private(set) var ladder: [VideoRung]
    public private(set) var decision: Decision
    /// The latest target in bit/s.
    public private(set) var targetBitrate: Int?
    /// Changes of the sent size (qualityLimitationResolutionChanges).
    public private(set) var resolutionChanges = 0
    /// The smoothed encode time per frame interval (nil before the first frame).
    public private(set) var cpuUsage: Double?

    private var bandwidthRung = 0
    private var cpuRung = 0
    private var lastChange: UInt64
    private var bandwidthRecoverSince: UInt64?
    private var nextCPUCheck: UInt64
    private var overuseChecks = 0
    private var underuseSince: UInt64?
    private var durations = [Double](repeating: 0, count: QualityLimitationReason.allCases.count)
    private var accountedUntil: UInt64

    public init(bounds: VideoAdaptationBounds, preference: DegradationPreference = .balanced,
                configuration: Configuration = Configuration(), now: UInt64) {
        self.configuration = configuration
        self.bounds = bounds
        self.preference = preference
        ladder = VideoAdaptationLadder.rungs(bounds: bounds, preference: preference, minPixels: configuration.minPixels)
        decision = Decision(rung: ladder[0], reason: .none)
        // The first change may come at once; the CPU is judged after one check interval.
        lastChange = now &- configuration.cooldown
        nextCPUCheck = now + configuration.cpuCheckInterval
        accountedUntil = now
    }

    // MARK: inputs

    /// A new target from congestion control (or REMB). Returns the decision when it changed.
    public mutating func setTargetBitrate(_ bitsPerSecond: Int, now: UInt64) -> Decision? {
        targetBitrate = bitsPerSecond
        return update(now: now)
    }

    /// One frame was encoded in `encodeTime` ns. Returns the decision when it changed.
    public mutating func frameEncoded(encodeTime: UInt64, now: UInt64) -> Decision? {
        let interval = 1e9 / max(1, decision.frameRate)
        let sample = Double(encodeTime) / interval
        // About a second of frames in the average (libwebrtc smooths over ~2 s).
        let alpha = min(1, 2 / max(2, decision.frameRate))
        cpuUsage = cpuUsage.map { $0 + alpha * (sample - $0) } ?? sample
        return update(now: now)
    }

    /// A new degradation preference (setParameters) or new bounds (applyConstraints): the
    /// ladder is rebuilt and adaptation starts again from its top.
    public mutating func reconfigure(bounds: VideoAdaptationBounds, preference: DegradationPreference, now: UInt64) -> Decision? {
        guard bounds != self.bounds || preference != self.preference else { return nil }
        account(now)
        self.bounds = bounds
        self.preference = preference
        ladder = VideoAdaptationLadder.rungs(bounds: bounds, preference: preference, minPixels: configuration.minPixels)
        bandwidthRung = 0
        cpuRung = 0
        bandwidthRecoverSince = nil
        underuseSince = nil
        overuseChecks = 0
        cpuUsage = nil
        _ = apply(now: now, force: true)
        _ = update(now: now)
        return decision
    }

    /// Time passing (call it with each captured frame, or from a timer): recoveries need it.
    public mutating func update(now: UInt64) -> Decision? {
        account(now)
        // Callers mix clocks that agree but lag each other (a frame's capture time on the
        // capture thread, the loop's time for a new target): time never runs backwards here.
        let now = max(now, accountedUntil)
        let last = ladder.count - 1
        let cooled = now >= lastChange &+ configuration.cooldown
        // Bandwidth.
        if let target = targetBitrate {
            let bits = Double(target)
            func carried(_ i: Int, _ bpp: Double) -> Bool { bits >= bpp * ladder[i].pixelsPerSecond }
            if !carried(bandwidthRung, configuration.minBitsPerPixel) {
                bandwidthRecoverSince = nil
                if cooled && bandwidthRung < last {
                    // Straight to the first rung the target carries (libwebrtc's initial frame
                    // dropper does the same at the start): one rung a second from 720p to 180p
                    // is five keyframes the link cannot carry either.
                    var rung = bandwidthRung + 1
                    while rung < last && !carried(rung, configuration.minBitsPerPixel) { rung += 1 }
                    bandwidthRung = rung
                    return apply(now: now)
                }
            } else if bandwidthRung > 0 && carried(bandwidthRung - 1, configuration.recoverBitsPerPixel) {
                let since = bandwidthRecoverSince ?? now
                bandwidthRecoverSince = since
                if cooled && now - since >= configuration.stableDuration {
                    // Up to the highest rung the target carries with the hysteresis margin:
                    // after a capacity step back up, one rung per `stableDuration` would take
                    // half a minute from 180p to 720p.
                    var rung = bandwidthRung - 1
                    while rung > 0 && carried(rung - 1, configuration.recoverBitsPerPixel) { rung -= 1 }
                    bandwidthRung = rung
                    bandwidthRecoverSince = nil
                    return apply(now: now)
                }
            } else {
                bandwidthRecoverSince = nil
            }
        }
        // CPU, checked once per interval.
        if now >= nextCPUCheck, let usage = cpuUsage {
            nextCPUCheck = now + configuration.cpuCheckInterval
            overuseChecks = usage > configuration.overuse ? overuseChecks + 1 : 0
            if usage < configuration.underuse { underuseSince = underuseSince ?? now } else { underuseSince = nil }
            if overuseChecks >= 2 && cooled && cpuRung < last {
                cpuRung += 1
                restartCPUMeasurement()
                return apply(now: now)
            }
            if cpuRung > 0, let since = underuseSince, cooled, now - since >= configuration.stableDuration {
                cpuRung -= 1
                restartCPUMeasurement()
                return apply(now: now)
            }
        }
        return nil
    }

    // MARK: outputs

    /// Seconds spent in each reason so far (qualityLimitationDurations).
    public func qualityLimitationDurations(now: UInt64) -> [QualityLimitationReason: Double] {
        var out: [QualityLimitationReason: Double] = [:]
        for (i, r) in QualityLimitationReason.allCases.enumerated() { out[r] = durations[i] }
        if now > accountedUntil { out[decision.reason, default: 0] += Double(now - accountedUntil) / 1e9 }
        return out
    }

    // MARK: internals

    private mutating func restartCPUMeasurement() {
        cpuUsage = nil
        overuseChecks = 0
        underuseSince = nil
    }

    private mutating func account(_ now: UInt64) {
        guard now > accountedUntil else { return }
        let index = QualityLimitationReason.allCases.firstIndex(of: decision.reason) ?? 0
        durations[index] += Double(now - accountedUntil) / 1e9
        accountedUntil = now
    }

    private mutating func apply(now: UInt64, force: Bool = false) -> Decision? {
        let index = max(bandwidthRung, cpuRung)
        let reason: QualityLimitationReason = index == 0 ? .none : (cpuRung > bandwidthRung ? .cpu : .bandwidth)
        let next = Decision(rung: ladder[index], reason: reason)
        guard next != decision || force else { return nil }
        if next.width != decision.width || next.height != decision.height { resolutionChanges += 1 }
        decision = next
        lastChange = now
        return next
    }
}
