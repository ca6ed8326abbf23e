/// Groups packets into bursts by send time and yields the send-time and arrival-time deltas
/// between consecutive groups (draft-ietf-rmcat-gcc-02 §5.2; libwebrtc's
/// `InterArrivalDelta`). A group is what the sender sent within 5 ms; a packet that arrives
/// within 5 ms of the group and "early" (its queueing delay fell) belongs to the group too,
/// because it came in a burst after a channel outage, not from the sender's rhythm.
public struct InterArrivalDelta: Sendable {
    public struct Deltas: Sendable, Equatable {
        public var sendDelta: Duration
        public var arrivalDelta: Duration
        public var sizeDelta: Int
    }

    private struct Group {
        var size = 0
        var firstSendTime: Duration
        var sendTime: Duration
        var firstArrival: Duration
        var completeTime: Duration
        var lastSystemTime: Duration
    }

    static let burstDeltaThreshold: Duration = .milliseconds(5)
    static let maxBurstDuration: Duration = .milliseconds(100)
    /// Arrival and local clocks drifting apart by this much means the remote clock jumped.
    static let arrivalTimeOffsetThreshold: Duration = .seconds(3)
    static let reorderedResetThreshold = 3

    public let groupLength: Duration
    private var current: Group?
    private var previous: Group?
    private var consecutiveReordered = 0
    /// Resets after a clock jump or persistent reordering (for stats).
    public private(set) var resets = 0

    public init(groupLength: Duration = .milliseconds(5)) {
        self.groupLength = groupLength
    }

    /// Adds one packet; returns the deltas when it closed a group that had a predecessor.
    /// `systemTime` is our clock when the packet's arrival became known.
    public mutating func compute(sendTime: Duration, arrivalTime: Duration, systemTime: Duration,
                                 size: Int) -> Deltas? {
        guard var group = current else {
            current = Group(size: size, firstSendTime: sendTime, sendTime: sendTime, firstArrival: arrivalTime,
                            completeTime: arrivalTime, lastSystemTime: systemTime)
            return nil
        }
        if sendTime < group.firstSendTime { return nil }  // reordered: belongs to an older group
        var deltas: Deltas?
        if isNewGroup(group, arrivalTime: arrivalTime, sendTime: sendTime) {
            if let previous {
                let sendDelta = group.sendTime - previous.sendTime
                let arrivalDelta = group.completeTime - previous.completeTime
                let systemDelta = group.lastSystemTime - previous.lastSystemTime
                if arrivalDelta - systemDelta >= Self.arrivalTimeOffsetThreshold {
                    reset()
                    return nil
                }
                if arrivalDelta < .zero {
                    consecutiveReordered += 1
                    if consecutiveReordered >= Self.reorderedResetThreshold { reset() }
                    return nil
                }
                consecutiveReordered = 0
                deltas = Deltas(sendDelta: sendDelta, arrivalDelta: arrivalDelta, sizeDelta: group.size - previous.size)
            }
            previous = group
            group = Group(size: 0, firstSendTime: sendTime, sendTime: sendTime, firstArrival: arrivalTime,
                          completeTime: arrivalTime, lastSystemTime: systemTime)
        } else {
            group.sendTime = max(group.sendTime, sendTime)
        }
        group.size += size
        group.completeTime = arrivalTime
        group.lastSystemTime = systemTime
        current = group
        return deltas
    }

    private func isNewGroup(_ group: Group, arrivalTime: Duration, sendTime: Duration) -> Bool {
        if belongsToBurst(group, arrivalTime: arrivalTime, sendTime: sendTime) { return false }
        return sendTime - group.firstSendTime > groupLength
    }

    private func belongsToBurst(_ group: Group, arrivalTime: Duration, sendTime: Duration) -> Bool {
        let arrivalDelta = arrivalTime - group.completeTime
        let sendDelta = sendTime - group.sendTime
        if sendDelta == .zero { return true }
        let propagationDelta = arrivalDelta - sendDelta
        return propagationDelta < .zero && arrivalDelta <= Self.burstDeltaThreshold
            && arrivalTime - group.firstArrival < Self.maxBurstDuration
    }

    private mutating func reset() {
        resets += 1
        current = nil
        previous = nil
        consecutiveReordered = 0
    }
}
