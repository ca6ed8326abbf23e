/// The values that pass between the pacer, the transport-wide feedback and the bandwidth
/// estimator (the names follow libwebrtc's `network_types.h`, so a reader of GCC finds them).
/// Times are `Duration`s on the caller's clock (simulated in tests); rates are bit/s.

/// One packet as it left the pacer: what the send-side estimator needs to match it with
/// transport-wide feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3).
public struct SentPacket: Sendable, Equatable {
    /// The transport-wide sequence number, unwrapped (the wire carries its low 16 bits).
    public var transportSequenceNumber: Int64
    public var sendTime: Duration
    /// Bytes on the wire for this packet (RTP header, payload and SRTP tag).
    public var size: Int
    /// The probe cluster this packet belongs to (padding or media sent as a probe), if any.
    public var probeClusterID: Int?
    /// Audio, video, retransmission or padding: acknowledged rates are split by it.
    public var kind: PacedPacketKind

    public init(transportSequenceNumber: Int64, sendTime: Duration, size: Int, probeClusterID: Int? = nil,
                kind: PacedPacketKind) {
        self.transportSequenceNumber = transportSequenceNumber
        self.sendTime = sendTime
        self.size = size
        self.probeClusterID = probeClusterID
        self.kind = kind
    }
}

/// The pacer's priority classes, highest first (libwebrtc's `RtpPacketMediaType` order in
/// its pacer): audio is never held behind video, retransmissions come after fresh media,
/// padding only fills what is left of a probe or the padding rate.
public enum PacedPacketKind: Int, Sendable, Comparable, CaseIterable {
    case audio = 0
    case video = 1
    case retransmission = 2
    case padding = 3

    public static func < (a: PacedPacketKind, b: PacedPacketKind) -> Bool { a.rawValue < b.rawValue }
}

/// A sent packet and what the feedback said of it.
public struct PacketResult: Sendable, Equatable {
    public var sent: SentPacket
    /// Arrival time on the receiver's clock (offset unknown: only differences mean anything);
    /// nil when the feedback reported it lost.
    public var receiveTime: Duration?

    public init(sent: SentPacket, receiveTime: Duration?) {
        self.sent = sent
        self.receiveTime = receiveTime
    }
}

/// One transport-wide feedback message matched against the send history, in send order.
public struct TransportPacketsFeedback: Sendable, Equatable {
    /// When the feedback arrived (our clock).
    public var feedbackTime: Duration
    public var packets: [PacketResult]
    /// Bytes sent but not yet acknowledged or reported lost, after this feedback.
    public var dataInFlight: Int
    /// Received packets among `packets` that an earlier feedback reported lost (they came
    /// later than the next feedback): the loss they were counted as is taken back.
    public var lateArrivals: Int

    public init(feedbackTime: Duration, packets: [PacketResult], dataInFlight: Int, lateArrivals: Int = 0) {
        self.feedbackTime = feedbackTime
        self.packets = packets
        self.dataInFlight = dataInFlight
        self.lateArrivals = lateArrivals
    }
}

/// A burst the pacer sends at `bitrate` to find out whether the path carries it
/// (draft-ietf-rmcat-gcc-02 §5.3, libwebrtc's `ProbeClusterConfig`).
public struct ProbeCluster: Sendable, Equatable {
    public var id: Int
    public var bitrate: Int
    public var minimumProbes: Int
    public var minimumBytes: Int
    public var createdAt: Duration

    public init(id: Int, bitrate: Int, minimumProbes: Int = 5, minimumBytes: Int, createdAt: Duration) {
        self.id = id
        self.bitrate = bitrate
        self.minimumProbes = minimumProbes
        self.minimumBytes = minimumBytes
        self.createdAt = createdAt
    }
}

/// What the estimator tells the rest of the sender: the target the encoders share, how fast
/// the pacer drains, how much padding it may add, and probes to send.
public struct TargetTransferRate: Sendable, Equatable {
    public var at: Duration
    /// The estimate the encoders (and the RTX budget) share.
    public var targetBitrate: Int
    /// The path's estimate before congestion-window pushback (`targetBitrate` is at most this).
    public var bandwidthEstimate: Int
    /// Pacer drain rate: a multiple of the target (libwebrtc's pacing factor 2.5), so that a
    /// keyframe leaves in a few frame intervals instead of one burst.
    public var pacingRate: Int
    /// Padding the pacer may add when media does not fill the target (0 outside probing).
    public var paddingRate: Int
    /// Loss the estimator measured over its last window, 0...1 (for Opus FEC and getStats).
    public var lossRate: Double
    public var roundTripTime: Duration?
    /// Why the target is where it is, for getStats `qualityLimitationReason`-style reporting.
    public var limitedBy: BandwidthLimit

    public init(at: Duration, targetBitrate: Int, pacingRate: Int, paddingRate: Int = 0, lossRate: Double = 0,
                roundTripTime: Duration? = nil, limitedBy: BandwidthLimit = .delay) {
        self.at = at
        self.targetBitrate = targetBitrate
        bandwidthEstimate = targetBitrate
        self.pacingRate = pacingRate
        self.paddingRate = paddingRate
        self.lossRate = lossRate
        self.roundTripTime = roundTripTime
        self.limitedBy = limitedBy
    }
}

/// Which part of the estimator set the current target. `congestionWindow`: the estimate is
/// higher, but more is in flight than the window allows and the pushback cut the target.
public enum BandwidthLimit: String, Sendable, Equatable {
    case delay, loss, remb, configuration, probing, congestionWindow
}

/// The estimator's bounds: the user's `--max-bitrate`, the remote's `b=AS`/`b=TIAS`, and a
/// floor under which a call is not worth sending (libwebrtc's 30 kbit/s minimum).
public struct BitrateConstraints: Sendable, Equatable {
    public var minimum: Int
    public var start: Int
    public var maximum: Int

    public init(minimum: Int = 30_000, start: Int = 300_000, maximum: Int = 4_000_000) {
        self.minimum = minimum
        self.start = start
        self.maximum = maximum
    }
}
