import MediaCodecs

/// What getStats shows of a received audio stream's playout: the webrtc-stats
/// RTCInboundRtpStreamStats audio members (§7.4), counted in frames (samples per channel)
/// as libwebrtc counts them, and a few of Tincan's own.
public struct AudioPlayoutStatistics: Sendable, Equatable {
    /// Seconds: the sum, over emitted samples, of the buffer's delay when each was emitted.
    public var jitterBufferDelay = 0.0
    /// Seconds: the sum, over emitted samples, of the target delay then.
    public var jitterBufferTargetDelay = 0.0
    public var jitterBufferEmittedCount: Int64 = 0
    /// Decoded, concealed and stretched samples alike: all that came out.
    public var totalSamplesReceived: Int64 = 0
    public var concealedSamples: Int64 = 0
    public var silentConcealedSamples: Int64 = 0
    public var concealmentEvents: Int64 = 0
    public var insertedSamplesForDeceleration: Int64 = 0
    public var removedSamplesForAcceleration: Int64 = 0
    /// The last 10 ms block's RMS level, 0...1 (1 is a full-scale square wave).
    public var audioLevel = 0.0
    /// Sum of audioLevel² × duration (webrtc-stats' totalAudioEnergy).
    public var totalAudioEnergy = 0.0
    public var totalSamplesDuration = 0.0
    /// Not webrtc-stats: packets that came after their time had played (also in
    /// packetsDiscarded), duplicates, samples that the next packet's in-band FEC stood in for
    /// (also in concealedSamples: libopus conceals when the packet carries no FEC), blocks
    /// concealed because nothing at all was buffered (an underrun, not a loss), decode errors.
    public var packetsDiscardedLate: Int64 = 0
    public var packetsDuplicated: Int64 = 0
    public var fecSamples: Int64 = 0
    public var underrunBlocks: Int64 = 0
    public var decodeErrors: Int64 = 0
    /// Times the sender's timestamps jumped more than `AudioJitterBuffer.Configuration.
    /// maximumJump` from the playout point (a restarted sender): the buffer started over.
    public var timestampJumps: Int64 = 0
    /// Seconds the audio waits for the video (lip sync, `LipSync`).
    public var lipSyncDelay = 0.0

    public init() {}
}

/// An adaptive jitter buffer between a received audio stream and its output, sans-I/O:
/// packets (with their RTP timestamp and arrival time) in, 10 ms blocks of PCM out when the
/// output asks, at the time it asks. What libwebrtc's NetEq does, in small:
///
/// - packets are ordered by RTP timestamp (RFC 3550 §5.1, unwrapped), so reordering is undone
///   and a packet that comes after its time is discarded;
/// - a missing packet is made up when its time comes: from the next packet's in-band FEC
///   when that packet is here (RFC 7587 §3.2), else by the codec's concealment (PLC); an
///   underrun (nothing buffered) is concealed too, without moving the playout timestamp, so
///   a packet that was only late still plays, and a missing packet is waited for the same
///   way while less than the target is buffered;
/// - the target delay follows the measured jitter: the 95th percentile, over 10 s, of each
///   packet's arrival delay relative to the fastest packet of the last 2 s (NetEq's
///   DelayManager), plus a packet and a block (what the level falls by between arrivals, and
///   what each pull takes);
/// - the buffer level (decoded samples plus the packets' span) is kept at the target by
///   time-stretching whole pitch periods (`TimeStretch`: accelerate above it, preemptive
///   expand below it).
struct AudioJitterBuffer {
    static let sampleRate = 48_000
    /// 10 ms.
    static let blockFrames = 480

    struct Configuration: Sendable {
        var minimumTargetDelay: Duration = .milliseconds(20)
        var maximumTargetDelay: Duration = .milliseconds(500)
        var quantile = 0.95
        /// The relative arrival delays the quantile is taken over.
        var delayWindow: Duration = .seconds(10)
        /// The fastest packet the delays are measured against.
        var minimumWindow: Duration = .seconds(2)
        /// Above target + this the buffer accelerates; below target - `expandMargin` it
        /// expands.
        var accelerateMargin: Duration = .milliseconds(20)
        var expandMargin: Duration = .milliseconds(10)
        /// A timestamp jump longer than this (DTX, a paused sender) is not concealed: the
        /// playout moves on to the next packet.
        var maximumConcealment: Duration = .milliseconds(250)
        /// How many packets the buffer holds; beyond, the oldest are dropped (counted late).
        var capacity = 100
        /// A packet this far from the playout point, either way, is a new timeline (the
        /// sender restarted its RTP clock): the buffer starts over from it.
        var maximumJump: Duration = .seconds(3)

        init() {}
    }

    let configuration: Configuration
    let channels: Int
    private let decoder: any ConcealingAudioDecoder

    /// Packets waiting, by unwrapped RTP timestamp.
    private var packets: [Int64: [UInt8]] = [:]
    private var lastRTPTimestamp: UInt32?
    private var lastExtended: Int64 = 0
    /// The RTP timestamp of the next sample to decode (nil until playing).
    private var nextTimestamp: Int64?
    /// Decoded samples not yet emitted, interleaved.
    private var pcm: [Int16] = []
    private var packetFrames = 960
    /// Frames concealed during the current underrun (they stand in for what comes late or
    /// not at all).
    private var expandedWhileEmpty = 0
    private var concealing = false
    private var arrivals: [(at: Duration, transit: Double)] = []
    private var relativeDelays: [(at: Duration, delay: Double)] = []
    /// The same delays in ascending order, kept sorted as they come and go, so the quantile
    /// costs no sort and no array per packet.
    private var sortedDelays: [Double] = []
    /// The RTP timestamp of the last block's first sample (nil before playing): about, since
    /// stretching and concealment make the mapping loose by a pitch period or so.
    private(set) var emittedTimestamp: UInt32?
    /// Seconds: what the network needs (`networkTargetDelay`), or `minimumDelay` when that
    /// is more (lip sync, the application's `jitterBufferTarget`).
    private(set) var targetDelay: Double
    private var networkTargetDelay: Double
    /// Seconds, at most 1.
    var minimumDelay = 0.0 {
        didSet { updateTarget() }
    }
    /// The smoothed level, frames.
    private var filteredLevel = 0.0
    private(set) var statistics = AudioPlayoutStatistics()

    init(decoder: any ConcealingAudioDecoder, configuration: Configuration = Configuration()) {
        self.decoder = decoder
        self.configuration = configuration
        channels = decoder.channelCount
        targetDelay = Self.seconds(configuration.minimumTargetDelay)
        networkTargetDelay = targetDelay
    }

    private mutating func updateTarget() {
        targetDelay = max(networkTargetDelay, min(1, max(0, minimumDelay)))
    }

    /// The first index whose value is not below `value` (binary search of an ascending array).
    static func insertionIndex(of value: Double, in sorted: [Double]) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Removes one element equal to `value` from an ascending array.
    static func remove(_ value: Double, from sorted: inout [Double]) {
        let i = insertionIndex(of: value, in: sorted)
        if i < sorted.count, sorted[i] == value { sorted.remove(at: i) }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    var isPlaying: Bool { nextTimestamp != nil }

    /// The delay now: decoded samples waiting plus the span of the packets, frames.
    var levelFrames: Int {
        let decoded = pcm.count / channels
        guard let next = nextTimestamp ?? packets.keys.min(), let last = packets.keys.max() else { return decoded }
        return decoded + max(0, Int(last - next) + packetFrames)
    }

    private var targetFrames: Double { targetDelay * Double(Self.sampleRate) }

    // MARK: Packets in

    /// One packet's payload, at its arrival.
    mutating func insert(_ payload: [UInt8], rtpTimestamp: UInt32, at now: Duration) {
        let ext: Int64
        if let last = lastRTPTimestamp {
            ext = lastExtended + Int64(Int32(bitPattern: rtpTimestamp &- last))
        } else {
            ext = 0
        }
        if ext > lastExtended || lastRTPTimestamp == nil {
            lastExtended = ext
            lastRTPTimestamp = rtpTimestamp
        }
        let jump = Int64(Self.seconds(configuration.maximumJump) * Double(Self.sampleRate))
        if let reference = nextTimestamp ?? packets.keys.max(), abs(ext - reference) > jump {
            restart()
            statistics.timestampJumps += 1
            // Unwrapped from here on.
            lastExtended = ext
            lastRTPTimestamp = rtpTimestamp
        }
        if let next = nextTimestamp, ext < next {
            statistics.packetsDiscardedLate += 1
            return
        }
        guard packets[ext] == nil else {
            statistics.packetsDuplicated += 1
            return
        }
        packets[ext] = payload
        if packets.count > configuration.capacity, let oldest = packets.keys.min() {
            packets[oldest] = nil
            statistics.packetsDiscardedLate += 1
        }
        noteArrival(ext, at: now)
    }

    /// Forgets the packets and the playout point (the decoded samples still play), so that
    /// the next packet starts a new timeline.
    private mutating func restart() {
        packets.removeAll()
        nextTimestamp = nil
        emittedTimestamp = nil
        arrivals.removeAll()
        relativeDelays.removeAll()
        sortedDelays.removeAll()
        expandedWhileEmpty = 0
    }

    /// The arrival delay relative to the fastest recent packet, and the target from them.
    private mutating func noteArrival(_ ext: Int64, at now: Duration) {
        let transit = Self.seconds(now) - Double(ext) / Double(Self.sampleRate)
        arrivals.removeAll { now - $0.at > configuration.minimumWindow }
        arrivals.append((now, transit))
        var fastest = transit
        for a in arrivals where a.transit < fastest { fastest = a.transit }
        let window = configuration.delayWindow
        for old in relativeDelays where now - old.at > window { Self.remove(old.delay, from: &sortedDelays) }
        relativeDelays.removeAll { now - $0.at > window }
        let delay = transit - fastest
        relativeDelays.append((now, delay))
        sortedDelays.insert(delay, at: Self.insertionIndex(of: delay, in: sortedDelays))
        let q = sortedDelays[min(sortedDelays.count - 1, Int(Double(sortedDelays.count) * configuration.quantile))]
        // The level falls by a packet between arrivals and a block must be there at each
        // pull: the quantile on top of both.
        let wanted = q + Double(packetFrames + Self.blockFrames) / Double(Self.sampleRate)
        networkTargetDelay = min(max(wanted, Self.seconds(configuration.minimumTargetDelay)),
                                 Self.seconds(configuration.maximumTargetDelay))
        updateTarget()
    }

    // MARK: Blocks out

    /// The next 10 ms, interleaved. Silence (not counted) until the first packets reach
    /// the target.
    mutating func pull(at now: Duration) -> [Int16] {
        let block = Self.blockFrames * channels
        if nextTimestamp == nil {
            guard let first = packets.keys.min(), Double(levelFrames) >= targetFrames else {
                return [Int16](repeating: 0, count: block)
            }
            nextTimestamp = first
            filteredLevel = Double(levelFrames)
        }
        fill(to: Self.blockFrames, concealing: true)
        let level = Double(levelFrames)
        filteredLevel += 0.1 * (level - filteredLevel)
        stretch()
        if let next = nextTimestamp, let last = lastRTPTimestamp {
            let first = next - Int64(pcm.count / channels)
            emittedTimestamp = last &+ UInt32(truncatingIfNeeded: first - lastExtended)
        }
        let out = Array(pcm.prefix(block))
        pcm.removeFirst(out.count)
        account(out, levelFrames: level)
        return out
    }

    /// Accelerates or expands one pitch period when the smoothed level is off the target.
    private mutating func stretch() {
        let rate = Double(Self.sampleRate)
        let high = targetFrames + Self.seconds(configuration.accelerateMargin) * rate
        let low = targetFrames - Self.seconds(configuration.expandMargin) * rate
        if filteredLevel > high {
            fill(to: TimeStretch.framesNeeded + Self.blockFrames, concealing: false)
            guard pcm.count / channels >= TimeStretch.framesNeeded + Self.blockFrames else { return }
            let removed = TimeStretch.accelerate(&pcm, channels: channels)
            filteredLevel -= Double(removed)
            statistics.removedSamplesForAcceleration += Int64(removed)
        } else if filteredLevel < low && !concealing {
            fill(to: TimeStretch.framesNeeded, concealing: false)
            guard pcm.count / channels >= TimeStretch.framesNeeded else { return }
            let inserted = TimeStretch.expand(&pcm, channels: channels)
            filteredLevel += Double(inserted)
            statistics.insertedSamplesForDeceleration += Int64(inserted)
        }
    }

    /// Decodes until `frames` are waiting: the packets in order and, when `concealing`,
    /// whatever is missing.
    private mutating func fill(to frames: Int, concealing mayConceal: Bool) {
        while pcm.count / channels < frames, let next = nextTimestamp {
            if let payload = packets.removeValue(forKey: next) {
                var samples: [Int16]
                do throws(CodecError) { samples = try decoder.decodeSamples(payload) } catch {
                    statistics.decodeErrors += 1
                    samples = concealed(packetFrames)
                }
                let n = samples.count / channels
                if n > 0 { packetFrames = n } else { samples = concealed(packetFrames) }
                pcm += samples
                nextTimestamp = next + Int64(max(n, packetFrames))
                concealing = false
                expandedWhileEmpty = 0
                continue
            }
            guard mayConceal else { return }
            if let later = packets.keys.filter({ $0 > next }).min() {
                // Missing while less than the target is buffered: late rather than lost, it
                // may still come. Wait for it (concealing, the timestamp held), which is how
                // the delay grows to what the network needs (NetEq's expand before a future
                // packet).
                if expandedWhileEmpty < Int(later - next) && Double(levelFrames) < targetFrames {
                    let made = concealed(Self.blockFrames)
                    count(concealment: made)
                    pcm += made
                    expandedWhileEmpty += Self.blockFrames
                    continue
                }
                // Lost (or later than its time): made up now, once.
                var span = Int(later - next) - expandedWhileEmpty
                expandedWhileEmpty = 0
                let maximum = Int(Self.seconds(configuration.maximumConcealment) * Double(Self.sampleRate))
                if span > maximum { span = 0 }
                span -= span % 120  // Opus conceals in 2.5 ms steps
                if span > 0, let payload = packets[later] {
                    let fec = min(span, packetFrames)
                    var made = concealed(span - fec)
                    do throws(CodecError) { made += try decoder.recover(frames: fec, from: payload) } catch {
                        statistics.decodeErrors += 1
                        made += concealed(fec)
                    }
                    statistics.fecSamples += Int64(fec)
                    count(concealment: made)
                    pcm += made
                }
                nextTimestamp = later
                continue
            }
            // Nothing buffered: an underrun.
            let made = concealed(Self.blockFrames)
            count(concealment: made)
            pcm += made
            expandedWhileEmpty += Self.blockFrames
            statistics.underrunBlocks += 1
        }
    }

    /// `frames` of the codec's concealment (silence if it has none to give).
    private func concealed(_ frames: Int) -> [Int16] {
        var out: [Int16] = []
        var left = frames
        while left > 0 {
            let n = min(left, 5760)
            let samples = (try? decoder.conceal(frames: n)) ?? []
            out += samples.count == n * channels ? samples : [Int16](repeating: 0, count: n * channels)
            left -= n
        }
        return out
    }

    private mutating func count(concealment samples: [Int16]) {
        let frames = Int64(samples.count / channels)
        guard frames > 0 else { return }
        statistics.concealedSamples += frames
        if Self.rms(samples) < TimeStretch.silenceRMS { statistics.silentConcealedSamples += frames }
        if !concealing { statistics.concealmentEvents += 1 }
        concealing = true
    }

    private mutating func account(_ out: [Int16], levelFrames: Double) {
        let frames = Int64(out.count / channels)
        let duration = Double(frames) / Double(Self.sampleRate)
        statistics.jitterBufferEmittedCount += frames
        statistics.totalSamplesReceived += frames
        statistics.jitterBufferDelay += levelFrames / Double(Self.sampleRate) * Double(frames)
        statistics.jitterBufferTargetDelay += targetDelay * Double(frames)
        let level = Self.rms(out) / 32767
        statistics.audioLevel = min(1, level)
        statistics.totalAudioEnergy += level * level * duration
        statistics.totalSamplesDuration += duration
    }

    static func rms(_ samples: [Int16]) -> Double {
        guard !samples.isEmpty else { return 0 }
        var sum = 0.0
        for s in samples { sum += Double(s) * Double(s) }
        return (sum / Double(samples.count)).squareRoot()
    }
}
