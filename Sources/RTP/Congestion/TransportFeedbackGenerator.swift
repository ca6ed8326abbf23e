/// The receiving side of transport-wide congestion control
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3; libwebrtc's
/// `RemoteEstimatorProxy`): records when each transport-wide sequence number arrived and
/// sends the arrivals back as RTCP transport feedback every `interval` while packets arrive.
///
/// Each message covers the numbers from the end of the previous one to the newest arrival;
/// a packet that arrives after its window was reported moves the window back to it, so it is
/// reported (the sender ignores the repeats). Reported arrivals are kept for `backWindow`;
/// at most `maximumBacklog` numbers are held: beyond that the oldest go, counted.
public struct TransportFeedbackGenerator: Sendable {
    public let senderSSRC: UInt32
    /// How often feedback goes out while packets arrive (libwebrtc: 50-250 ms, by rate).
    public var interval: Duration
    /// The largest RTCP packet one message may become (bytes, padding included).
    public var maximumMessageSize = 1200
    public var backWindow: Duration = .milliseconds(500)
    public var maximumBacklog = 1 << 13

    /// Arrivals not yet dropped, by unwrapped sequence number (a ring from `firstSequenceNumber`).
    private var arrivals: [Duration?] = []
    private var arrivalsHead = 0
    private var firstSequenceNumber: Int64 = 0
    private var unwrapper = SequenceNumberUnwrapper()
    private var newestSequenceNumber: Int64?
    private var newestArrival: Duration = .zero
    /// The first number the next message reports.
    private var windowStart: Int64?
    private var mediaSSRC: UInt32 = 0
    private var feedbackPacketCount: UInt8 = 0
    private var lastSend: Duration?
    private var pending = false

    /// What was dropped or repeated, for stats.
    public struct Statistics: Sendable, Equatable {
        public var packetsReceived = 0
        public var duplicatePackets = 0
        /// Arrivals too old for the backlog (reordered by more than the back window, or
        /// the backlog overflowed) that no feedback will report.
        public var packetsDroppedFromBacklog = 0
        public var messagesSent = 0
        public init() {}
    }

    public private(set) var statistics = Statistics()

    public init(senderSSRC: UInt32, interval: Duration = .milliseconds(50)) {
        self.senderSSRC = senderSSRC
        self.interval = interval
    }

    private var backlogCount: Int { arrivals.count - arrivalsHead }

    /// One arrival: the packet's transport-wide sequence number (as on the wire) and media SSRC.
    public mutating func onPacketReceived(transportSequenceNumber: UInt16, mediaSSRC: UInt32, at now: Duration) {
        statistics.packetsReceived += 1
        self.mediaSSRC = mediaSSRC
        let seq = unwrapper.unwrap(transportSequenceNumber)
        if newestSequenceNumber == nil {
            firstSequenceNumber = seq
            newestSequenceNumber = seq - 1
        }
        guard var newest = newestSequenceNumber else { return }
        if seq < firstSequenceNumber {
            statistics.packetsDroppedFromBacklog += 1
            return
        }
        if seq > newest {
            let grow = Int(seq - newest)
            if grow > maximumBacklog {
                // A jump: nothing before it can be reported in one stretch any more.
                statistics.packetsDroppedFromBacklog += arrivals[arrivalsHead...].reduce(0) { $0 + ($1 == nil ? 0 : 1) }
                arrivals.removeAll(keepingCapacity: true)
                arrivalsHead = 0
                firstSequenceNumber = seq
                newest = seq - 1
                windowStart = nil
            }
            arrivals.append(contentsOf: repeatElement(nil, count: Int(seq - newest)))
            newestSequenceNumber = seq
            newest = seq
        }
        let index = arrivalsHead + Int(seq - firstSequenceNumber)
        if arrivals[index] != nil {
            statistics.duplicatePackets += 1
            return
        }
        arrivals[index] = now
        newestArrival = max(newestArrival, now)
        if windowStart.map({ seq < $0 }) ?? true { windowStart = seq }
        if !pending {
            pending = true
            if lastSend == nil { lastSend = now }
        }
        pruneBacklog()
    }

    private mutating func pruneBacklog() {
        while backlogCount > 0 {
            let arrival = arrivals[arrivalsHead]
            let unreported = windowStart.map { firstSequenceNumber >= $0 } ?? false
            if backlogCount <= maximumBacklog {
                // Kept: what no feedback reported yet, and reported arrivals of the last
                // back window (a late packet moves the window back over them).
                if unreported || (arrival.map { newestArrival - $0 <= backWindow } ?? false) { break }
            }
            if arrival != nil && unreported { statistics.packetsDroppedFromBacklog += 1 }
            arrivalsHead += 1
            firstSequenceNumber += 1
        }
        if let start = windowStart, start < firstSequenceNumber { windowStart = firstSequenceNumber }
        if arrivalsHead > 1024 && arrivalsHead * 2 > arrivals.count {
            arrivals.removeFirst(arrivalsHead)
            arrivalsHead = 0
        }
    }

    /// When `poll` next has something to send (nil: nothing pending).
    public var nextFeedbackTime: Duration? {
        guard pending, let lastSend else { return nil }
        return lastSend + interval
    }

    /// The feedback due at `now`, if any (usually one message, more after a long gap).
    public mutating func poll(at now: Duration) -> [RTCPTransportFeedback] {
        guard let due = nextFeedbackTime, now >= due else { return [] }
        lastSend = now
        pending = false
        return buildFeedback()
    }

    /// All the arrivals not yet reported, now, whatever the interval (e.g. before a BYE).
    public mutating func flush(at now: Duration) -> [RTCPTransportFeedback] {
        guard pending else { return [] }
        lastSend = now
        pending = false
        return buildFeedback()
    }

    private mutating func buildFeedback() -> [RTCPTransportFeedback] {
        guard var seq = windowStart, let newest = newestSequenceNumber else { return [] }
        var messages: [RTCPTransportFeedback] = []
        while seq <= newest {
            guard let message = buildMessage(from: &seq, through: newest) else { break }
            messages.append(message)
        }
        windowStart = newest + 1
        return messages
    }

    /// One message starting at `seq` (its leading statuses may be losses); advances `seq`
    /// past what it covers. Nil when no arrival is left.
    private mutating func buildMessage(from seq: inout Int64, through newest: Int64) -> RTCPTransportFeedback? {
        func arrival(_ s: Int64) -> Duration? { arrivals[arrivalsHead + Int(s - firstSequenceNumber)] }
        var firstReceived = seq
        while firstReceived <= newest && arrival(firstReceived) == nil { firstReceived += 1 }
        guard firstReceived <= newest, let first = arrival(firstReceived) else { return nil }
        let base = seq
        // 64 ms units, rounded down so the first delta is not negative.
        let referenceUnits = Self.floorDivide(first, by: .milliseconds(64))
        var last = Duration.milliseconds(64 * referenceUnits)
        var statuses: [RTCPTransportFeedback.PacketStatus] = []
        var deltaBytes = 0
        while seq <= newest && statuses.count < 0xFFFF {
            var status = RTCPTransportFeedback.PacketStatus.notReceived
            var bytes = 0
            var nextLast = last
            if let t = arrival(seq) {
                let ticks = ((t - last) / .microseconds(250)).rounded()
                guard ticks >= Double(Int16.min), ticks <= Double(Int16.max) else { break }
                let delta = Int16(ticks)
                status = .received(delta: delta)
                bytes = (0...255).contains(delta) ? 1 : 2
                // Track the rounded time, so rounding errors do not accumulate.
                nextLast = last + .microseconds(250 * Int64(delta))
            }
            // Header 20 bytes, worst-case chunks (7 statuses per 2 bytes), padding ≤ 3.
            let size = 20 + (statuses.count + 1 + 6) / 7 * 2 + deltaBytes + bytes + 3
            if size > maximumMessageSize && !statuses.isEmpty { break }
            statuses.append(status)
            deltaBytes += bytes
            last = nextLast
            seq += 1
        }
        let message = RTCPTransportFeedback(
            senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, baseSequenceNumber: UInt16(truncatingIfNeeded: base),
            referenceTime: Int32(truncatingIfNeeded: referenceUnits << 8) >> 8,
            feedbackPacketCount: feedbackPacketCount, packetStatuses: statuses)
        feedbackPacketCount &+= 1
        statistics.messagesSent += 1
        return message
    }

    private static func floorDivide(_ a: Duration, by b: Duration) -> Int64 {
        let q = (a / b).rounded(.down)
        return Int64(q)
    }
}
