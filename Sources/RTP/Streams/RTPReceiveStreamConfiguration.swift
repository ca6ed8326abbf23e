/// What an `RTPReceiveStream` is for (its SSRCs and payload types) and its NACK, PLI and
/// report policy.
public struct RTPReceiveStreamConfiguration: Sendable {
    /// The media stream's SSRC and payload type.
    public var ssrc: UInt32
    public var payloadType: UInt8
    public var clockRate: UInt32
    /// The RTX stream (RFC 4588) whose packets are unwrapped into the media stream.
    public var rtxSSRC: UInt32?
    public var rtxPayloadType: UInt8?
    /// Our own SSRC as the sender of RTCP, and its CNAME.
    public var localSSRC: UInt32
    public var cname: String
    /// NACK (RFC 4585 §6.2.1): each missing packet is asked for at most `maxNackRetries`
    /// times, retries spaced by the RTT estimate (at least `minNackInterval`).
    public var nackEnabled: Bool
    public var maxNackRetries: Int
    public var initialRoundTripTime: Duration
    public var minNackInterval: Duration
    /// A gap is first NACKed only after this long, so that packets merely reordered by the
    /// network are not asked for.
    public var reorderingDelay: Duration
    /// How long a frame may wait for a missing packet before it is given up (with NACK),
    /// and how long a gap waits for reordering without NACK.
    public var maxWait: Duration
    public var maxWaitWithoutNACK: Duration
    /// PLI (RFC 4585 §6.3.1) when a frame is given up, and when packets arrive but no frame
    /// completes for `keyframeRequestTimeout`; repeated at most every
    /// `minKeyframeRequestInterval` (or RTT + 100 ms if longer) until a keyframe arrives.
    public var keyframeRequestsEnabled: Bool
    public var keyframeRequestTimeout: Duration
    public var minKeyframeRequestInterval: Duration
    /// Receiver reports (with SDES CNAME) this often.
    public var reportInterval: Duration
    /// RFC 5506: send NACK/PLI alone instead of in a compound packet led by an RR.
    public var reducedSizeRTCP: Bool
    /// Add an XR RRTR to each report so that the sender's DLRR gives us the RTT (RFC 3611).
    public var sendReceiverReferenceTime: Bool
    /// The first frame waits this long for packets that the network reordered ahead of it
    /// (later frames are ordered by sequence number and need no such wait).
    public var startupDelay: Duration
    /// Slots of the reorder ring (a power of two); bounds the packets held.
    public var capacity: Int

    public init(
        ssrc: UInt32, payloadType: UInt8, clockRate: UInt32, rtxSSRC: UInt32? = nil,
        rtxPayloadType: UInt8? = nil, localSSRC: UInt32, cname: String = "tincan",
        nackEnabled: Bool = true, maxNackRetries: Int = 10,
        initialRoundTripTime: Duration = .milliseconds(100), minNackInterval: Duration = .milliseconds(10),
        maxWait: Duration = .seconds(1), maxWaitWithoutNACK: Duration = .milliseconds(100),
        keyframeRequestsEnabled: Bool = true, keyframeRequestTimeout: Duration = .seconds(2),
        minKeyframeRequestInterval: Duration = .milliseconds(300), reportInterval: Duration = .seconds(1),
        reducedSizeRTCP: Bool = true, sendReceiverReferenceTime: Bool = true,
        startupDelay: Duration = .milliseconds(30), reorderingDelay: Duration = .milliseconds(10),
        capacity: Int = 1024
    ) {
        self.reorderingDelay = reorderingDelay
        self.startupDelay = startupDelay
        self.sendReceiverReferenceTime = sendReceiverReferenceTime
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.clockRate = clockRate
        self.rtxSSRC = rtxSSRC
        self.rtxPayloadType = rtxPayloadType
        self.localSSRC = localSSRC
        self.cname = cname
        self.nackEnabled = nackEnabled
        self.maxNackRetries = maxNackRetries
        self.initialRoundTripTime = initialRoundTripTime
        self.minNackInterval = minNackInterval
        self.maxWait = maxWait
        self.maxWaitWithoutNACK = maxWaitWithoutNACK
        self.keyframeRequestsEnabled = keyframeRequestsEnabled
        self.keyframeRequestTimeout = keyframeRequestTimeout
        self.minKeyframeRequestInterval = minKeyframeRequestInterval
        self.reportInterval = reportInterval
        self.reducedSizeRTCP = reducedSizeRTCP
        self.capacity = capacity
    }
}
