/// Why the encoder is asked for a keyframe.
public enum KeyframeRequestReason: Sendable, Equatable {
    /// RFC 4585 §6.3.1.
    case pictureLossIndication
    /// RFC 5104 §4.3.1.
    case fullIntraRequest
}

public struct RTPSendStreamConfiguration: Sendable {
    public var ssrc: UInt32
    public var payloadType: UInt8
    public var clockRate: UInt32
    /// RFC 4588 retransmission stream: its own SSRC and payload type (`a=fmtp:<rtx> apt=<pt>`).
    /// Without them NACKs are counted but not answered.
    public var rtxSSRC: UInt32?
    public var rtxPayloadType: UInt8?
    public var extensions: RTPHeaderExtensionMap
    /// Written in the mid extension when `extensions.mid` is set.
    public var mid: String?
    public var cname: String
    public var historyCapacity: Int
    public var historyMaxAge: Duration

    public init(
        ssrc: UInt32, payloadType: UInt8, clockRate: UInt32, rtxSSRC: UInt32? = nil,
        rtxPayloadType: UInt8? = nil, extensions: RTPHeaderExtensionMap = RTPHeaderExtensionMap(),
        mid: String? = nil, cname: String = "tincan", historyCapacity: Int = 512,
        historyMaxAge: Duration = .seconds(1)
    ) {
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.clockRate = clockRate
        self.rtxSSRC = rtxSSRC
        self.rtxPayloadType = rtxPayloadType
        self.extensions = extensions
        self.mid = mid
        self.cname = cname
        self.historyCapacity = historyCapacity
        self.historyMaxAge = historyMaxAge
    }
}

/// What one incoming RTCP compound packet asked of the sender.
public struct RTPSendStreamFeedback: Sendable, Equatable {
    public var keyframeRequest: KeyframeRequestReason?
    /// The latest REMB bitrate in bits per second.
    public var estimatedMaximumBitrate: UInt64?
    public var retransmittedPackets = 0
    /// Sequence numbers NACKed but no longer in the history.
    public var unavailablePackets = 0

    public init() {}
}

/// The sending side of one RTP stream (sans-I/O): numbers and timestamps packets, adds the
/// negotiated header extensions, keeps a history, answers NACK with RTX (RFC 4588) and
/// raises keyframe requests on PLI/FIR. A stream engine, as libwebrtc's RtpSenderEgress
/// and pion's interceptors below the track: `RTCRtpSender` (PeerConnection) is the WebRTC
/// object that owns one.
///
/// Steady state allocates nothing per packet: the packet is written into one reused buffer
/// and copied into a history slot that keeps its capacity.
public struct RTPSendStream: Sendable {
    public let configuration: RTPSendStreamConfiguration
    /// The sequence number of the next media packet.
    public private(set) var sequenceNumber: UInt16
    public private(set) var rtxSequenceNumber: UInt16
    public private(set) var statistics = RTCOutboundRtpStreamStats()
    public private(set) var remoteStatistics = RTCRemoteInboundRtpStreamStats()
    /// Smoothed RTT from receiver reports; retransmissions of one packet are spaced by it.
    public private(set) var roundTripTime: Duration?
    /// Called for each PLI/FIR: the encoder should produce a keyframe.
    public var onKeyframeRequest: (@Sendable (KeyframeRequestReason) -> Void)?

    private var writer = RTPPacketWriter()
    private var rtxWriter = RTPPacketWriter()
    private var rtcpBuffer: [UInt8] = []
    private var history: RTPPacketHistory
    private var lastRTPTimestamp: UInt32 = 0
    private var lastFIRSequenceNumber: UInt8?
    /// Compact NTP of the SRs we sent, with their send times, to compute RTT (RFC 3550 §6.4.1).
    private var sentReports: [(compact: UInt32, at: Duration)] = []
    /// The last RRTR (RFC 3611 §4.4) received, answered with DLRR in our next SR.
    private var lastReceiverReferenceTime: (ssrc: UInt32, compact: UInt32, at: Duration)?

    public init(configuration: RTPSendStreamConfiguration, initialSequenceNumber: UInt16 = 0, initialRTXSequenceNumber: UInt16 = 0) {
        self.configuration = configuration
        self.sequenceNumber = initialSequenceNumber
        self.rtxSequenceNumber = initialRTXSequenceNumber
        self.history = RTPPacketHistory(capacity: configuration.historyCapacity, maxAge: configuration.historyMaxAge)
        self.statistics.ssrc = configuration.ssrc
        self.remoteStatistics.ssrc = configuration.ssrc
        rtcpBuffer.reserveCapacity(1500)
    }

    private var usesExtensions: Bool {
        let e = configuration.extensions
        return (e.mid != nil && configuration.mid != nil) || e.absSendTime != nil || e.transportSequenceNumber != nil
    }

    /// abs-send-time and the transport-wide sequence number belong to the transport: they are
    /// written at egress, after pacing (`RTPEgressStamper`), into the slots reserved here.
    private func writeExtensions(_ w: inout RTPPacketWriter) throws(RTPError) {
        let e = configuration.extensions
        if let id = e.mid, let mid = configuration.mid { try w.appendExtension(id: id, mid.utf8) }
        if let id = e.absSendTime { try w.appendExtension(id: id, uint24: 0) }
        if let id = e.transportSequenceNumber { try w.appendExtension(id: id, uint16: 0) }
    }

    /// Builds, records and emits one media packet.
    public mutating func send(
        payload: UnsafeRawBufferPointer, timestamp: UInt32, marker: Bool, at now: Duration,
        emit: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let c = configuration
        try writer.begin(
            marker: marker, payloadType: c.payloadType, sequenceNumber: sequenceNumber,
            timestamp: timestamp, ssrc: c.ssrc, extensionForm: usesExtensions ? .oneByte : nil)
        var w = writer
        writer = RTPPacketWriter(capacity: 0)  // keep one owner of the buffer while mutating
        try writeExtensions(&w)
        w.appendPayload(payload)
        try w.finish()
        writer = w
        let headerBytes = writer.bytes.count - payload.count
        try writer.bytes.withUnsafeBytes { raw in
            history.store(raw, sequenceNumber: sequenceNumber, at: now)
            try emit(raw)
        }
        sequenceNumber &+= 1
        lastRTPTimestamp = timestamp
        statistics.packetsSent += 1
        statistics.bytesSent += Int64(payload.count)
        statistics.headerBytesSent += Int64(headerBytes)
    }

    /// Handles an incoming RTCP compound packet; NACKed packets are retransmitted through
    /// `emit` (as RTX when configured).
    public mutating func handleRTCP(
        _ bytes: UnsafeRawBufferPointer, at now: Duration, emit: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> RTPSendStreamFeedback {
        let packets = try RTCPPacket.parseCompound(bytes)
        return try handleRTCP(packets, at: now, emit: emit)
    }

    public mutating func handleRTCP(
        _ packets: [RTCPPacket], at now: Duration, emit: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> RTPSendStreamFeedback {
        try handleRTCP(packets, at: now, shouldRetransmit: { _, _ in true }, emit: emit)
    }

    /// As above; `shouldRetransmit(sequenceNumber, age)` is asked before each retransmission
    /// (after the history and RTT-spacing checks), so the transport can hold NACK answers to
    /// its RTX budget and age limit (`RTPNACKResponder`). `age` is the time since the
    /// packet was first sent.
    public mutating func handleRTCP(
        _ packets: [RTCPPacket], at now: Duration, shouldRetransmit: (UInt16, Duration) -> Bool,
        emit: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> RTPSendStreamFeedback {
        var feedback = RTPSendStreamFeedback()
        let ssrc = configuration.ssrc
        // Index loops: unoptimized builds allocate in IndexingIterator over these enums.
        for i in packets.indices {
            switch packets[i] {
            case .receiverReport(let rr):
                handleReportBlocks(rr.reportBlocks, at: now)
            case .senderReport(let sr):
                handleReportBlocks(sr.reportBlocks, at: now)
            case .genericNACK(let nack) where nack.mediaSSRC == ssrc:
                statistics.nackCount += 1
                for e in nack.entries.indices {
                    let entry = nack.entries[e]
                    try retransmit(entry.packetID, at: now, feedback: &feedback, shouldRetransmit: shouldRetransmit, emit: emit)
                    for bit in 0..<16 where entry.bitmaskOfLostPackets & (1 << bit) != 0 {
                        try retransmit(
                            entry.packetID &+ UInt16(bit + 1), at: now, feedback: &feedback,
                            shouldRetransmit: shouldRetransmit, emit: emit)
                    }
                }
            case .pictureLossIndication(let pli) where pli.mediaSSRC == ssrc:
                statistics.pliCount += 1
                feedback.keyframeRequest = .pictureLossIndication
                onKeyframeRequest?(.pictureLossIndication)
            case .fullIntraRequest(let fir):
                // RFC 5104 §4.3.1.2: a repeated sequence number is a retransmitted request.
                for entry in fir.entries where entry.ssrc == ssrc && entry.sequenceNumber != lastFIRSequenceNumber {
                    lastFIRSequenceNumber = entry.sequenceNumber
                    statistics.firCount += 1
                    feedback.keyframeRequest = .fullIntraRequest
                    onKeyframeRequest?(.fullIntraRequest)
                }
            case .extendedReport(let xr):
                for case .receiverReferenceTime(let ntp) in xr.blocks {
                    lastReceiverReferenceTime = (xr.ssrc, NTPTime.compact(ntp), now)
                }
            case .receiverEstimatedMaximumBitrate(let remb) where remb.ssrcs.isEmpty || remb.ssrcs.contains(ssrc):
                feedback.estimatedMaximumBitrate = remb.bitrate
            default:
                break
            }
        }
        return feedback
    }

    private mutating func handleReportBlocks(_ blocks: [RTCPReportBlock], at now: Duration) {
        for block in blocks where block.ssrc == configuration.ssrc {
            remoteStatistics.packetsLost = Int64(block.cumulativeLost)
            remoteStatistics.fractionLost = Double(block.fractionLost) / 256
            remoteStatistics.reportsReceived += 1
            remoteStatistics.jitter = Double(block.jitter) / Double(configuration.clockRate)
            guard block.lastSenderReport != 0,
                let sent = sentReports.last(where: { $0.compact == block.lastSenderReport })
            else { continue }
            let rtt = now - sent.at - NTPTime.duration(compact: block.delaySinceLastSenderReport)
            guard rtt >= .zero else { continue }
            remoteStatistics.roundTripTime = rtt.seconds
            if let old = roundTripTime {
                roundTripTime = old * 0.875 + rtt * 0.125
            } else {
                roundTripTime = rtt
            }
        }
    }

    private mutating func retransmit(
        _ seq: UInt16, at now: Duration, feedback: inout RTPSendStreamFeedback,
        shouldRetransmit: (UInt16, Duration) -> Bool, emit: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        guard history.contains(seq, at: now), let sentAt = history.sendTime(of: seq) else {
            feedback.unavailablePackets += 1
            return
        }
        // A NACK repeated before our answer could arrive is not answered twice (libwebrtc
        // spaces retransmissions of one packet by the RTT).
        if let last = history.lastRetransmission(of: seq), let rtt = roundTripTime, now - last < rtt * 0.8 {
            return
        }
        guard shouldRetransmit(seq, now - sentAt) else { return }
        guard configuration.rtxSSRC != nil, configuration.rtxPayloadType != nil else {
            // Without RTX, resend the original packet unchanged (RFC 4588 §1 discourages
            // this for RTP, but it keeps NACK useful when RTX was not negotiated).
            try history.withPacket(seq, at: now) { raw in try emit(raw) }
            history.markRetransmitted(seq, at: now)
            statistics.retransmittedPacketsSent += 1
            feedback.retransmittedPackets += 1
            return
        }
        guard let payloadBytes = try emitRTX(of: seq, at: now, emit: emit) else { return }
        history.markRetransmitted(seq, at: now)
        statistics.retransmittedPacketsSent += 1
        statistics.retransmittedBytesSent += Int64(payloadBytes)
        statistics.packetsSent += 1
        statistics.bytesSent += Int64(payloadBytes)
        feedback.retransmittedPackets += 1
    }

    /// Builds the RFC 4588 §4 retransmission of `seq` and emits it; returns the original
    /// payload size, nil when the packet is not held or RTX is not configured.
    private mutating func emitRTX(
        of seq: UInt16, at now: Duration, emit: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int? {
        guard let rtxSSRC = configuration.rtxSSRC, let rtxPT = configuration.rtxPayloadType else { return nil }
        var w = rtxWriter
        rtxWriter = RTPPacketWriter(capacity: 0)
        defer { rtxWriter = w }
        var payloadBytes = 0
        let built: Bool = try history.withPacket(seq, at: now) { raw throws -> Bool in
            // Our own packet from the history: it parsed when it was sent.
            guard let header = try? RTPHeader.parse(raw) else { return false }
            let e = configuration.extensions
            if header.csrcCount == 0 {
                // The usual case, without the mapping closure's context allocation.
                try w.begin(
                    marker: header.marker, payloadType: rtxPT, sequenceNumber: rtxSequenceNumber,
                    timestamp: header.timestamp, ssrc: rtxSSRC, extensionForm: header.extensionForm)
            } else {
                try w.begin(
                    marker: header.marker, payloadType: rtxPT, sequenceNumber: rtxSequenceNumber,
                    timestamp: header.timestamp, ssrc: rtxSSRC,
                    csrcs: (0..<header.csrcCount).lazy.map { i in
                        let o = header.csrcOffset(i)
                        return UInt32(raw[o]) << 24 | UInt32(raw[o + 1]) << 16 | UInt32(raw[o + 2]) << 8 | UInt32(raw[o + 3])
                    },
                    extensionForm: header.extensionForm)
            }
            // Carry the original extensions over; send time and transport sequence number are
            // fresh slots for egress to fill (RTX packets are new packets on the wire).
            var it = RTPHeaderExtensionIterator(buffer: raw, header: header)
            while let element = it.next() {
                if element.id == e.absSendTime {
                    try w.appendExtension(id: element.id, uint24: 0)
                } else if element.id == e.transportSequenceNumber {
                    try w.appendExtension(id: element.id, uint16: 0)
                } else {
                    try w.appendExtension(id: element.id, UnsafeRawBufferPointer(rebasing: raw[element.range]))
                }
            }
            // RFC 4588 §4: the original sequence number (OSN) leads the RTX payload.
            w.appendPayload(uint16: seq)
            w.appendPayload(UnsafeRawBufferPointer(rebasing: raw[header.payloadRange]))
            try w.finish()
            payloadBytes = header.payloadRange.count
            return true
        } ?? false
        guard built else { return nil }
        try w.bytes.withUnsafeBytes { try emit($0) }
        rtxSequenceNumber &+= 1
        return payloadBytes
    }

    /// Padding for the pacer (probes, or a padding rate the media does not fill), sent on the
    /// RTX stream so the media stream's sequence numbers and statistics stay untouched
    /// (libwebrtc's choice; RFC 4588 §4 lets the RTX stream carry what the receiver drops).
    /// The newest media packet is resent as RTX when it fits in `maximumSize` (useful bytes
    /// if it was lost); otherwise a padding-only packet (RFC 3550 §5.1: no payload, P set, at
    /// most 255 bytes of padding). Returns the bytes emitted, 0 when RTX is not configured.
    public mutating func sendPadding(
        maximumSize: Int, at now: Duration, emit: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int {
        guard let rtxSSRC = configuration.rtxSSRC, let rtxPT = configuration.rtxPayloadType else { return 0 }
        let newest = sequenceNumber &- 1
        if statistics.packetsSent > 0, let size = history.size(of: newest, at: now), size + 2 <= maximumSize {
            var emitted = 0
            if try emitRTX(of: newest, at: now, emit: { raw in emitted = raw.count; try emit(raw) }) != nil {
                return emitted
            }
        }
        var w = rtxWriter
        rtxWriter = RTPPacketWriter(capacity: 0)
        defer { rtxWriter = w }
        try w.begin(
            marker: false, payloadType: rtxPT, sequenceNumber: rtxSequenceNumber, timestamp: lastRTPTimestamp,
            ssrc: rtxSSRC, extensionForm: usesExtensions ? .oneByte : nil)
        try writeExtensions(&w)
        let headerSize = (w.bytes.count + 3) & ~3  // the extension block closes on a word boundary
        try w.finish(paddingLength: min(255, max(1, maximumSize - headerSize)))
        try w.bytes.withUnsafeBytes { try emit($0) }
        rtxSequenceNumber &+= 1
        return w.bytes.count
    }

    /// A sender report for now, with `ntpTime` the wallclock and the RTP timestamp
    /// extrapolated from the last packet's (the caller knows the media clock best and may
    /// pass `rtpTimestamp`). Also emits an SDES CNAME in the same compound packet, and
    /// an XR DLRR answering the receiver's last RRTR (RFC 3611 §4.5).
    public mutating func makeSenderReport(
        ntpTime: UInt64, rtpTimestamp: UInt32? = nil, at now: Duration,
        emit: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let sr = RTCPSenderReport(
            ssrc: configuration.ssrc, ntpTimestamp: ntpTime, rtpTimestamp: rtpTimestamp ?? lastRTPTimestamp,
            packetCount: UInt32(truncatingIfNeeded: statistics.packetsSent),
            octetCount: UInt32(truncatingIfNeeded: statistics.bytesSent))
        rtcpBuffer.removeAll(keepingCapacity: true)
        try sr.write(into: &rtcpBuffer)
        try RTCPSourceDescription(ssrc: configuration.ssrc, cname: configuration.cname).write(into: &rtcpBuffer)
        if let rrtr = lastReceiverReferenceTime {
            try RTCPExtendedReport(ssrc: configuration.ssrc, blocks: [.dlrr([.init(
                ssrc: rrtr.ssrc, lastReceiverReport: rrtr.compact,
                delaySinceLastReceiverReport: NTPTime.compact(now - rrtr.at))])]).write(into: &rtcpBuffer)
        }
        sentReports.append((NTPTime.compact(ntpTime), now))
        if sentReports.count > 8 { sentReports.removeFirst() }
        try rtcpBuffer.withUnsafeBytes { try emit($0) }
    }
}
