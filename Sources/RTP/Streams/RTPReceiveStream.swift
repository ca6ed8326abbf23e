/// The receiving side of one RTP stream (sans-I/O): unwraps RTX, reorders packets in a
/// jitter buffer, rebuilds frames in order, asks for missing packets with NACK, for a
/// keyframe with PLI, and reports reception with RR. A stream engine, as libwebrtc's
/// RtpVideoStreamReceiver: `RTCRtpReceiver` (PeerConnection) is the WebRTC object that owns
/// one.
///
/// Feed it with `receive` for every RTP packet and `handleRTCP` for RTCP from the sender,
/// and call `poll` at `nextDeadline` (it gives up late frames and writes RTCP). Packets are
/// copied into buffers that a slot holds only while its packet waits for its frame, and
/// frames into one buffer, all keeping their capacity: steady state allocates nothing per
/// packet.
public struct RTPReceiveStream<Format: RTPDepacketizer>: Sendable {
    public let configuration: RTPReceiveStreamConfiguration
    /// The ring, by sequence number (its size is the NACK window, 1024 by default).
    private var slots: [RTPReceiveSlot]
    /// Payload buffers, lent to slots from `store` until their packet is released: as many
    /// as packets wait at once (a few frames'), not one per slot of the ring (which kept
    /// 1.5 MB of 480p video alive, and each packet landed in a cold buffer).
    private var payloads: [[UInt8]] = []
    private var freePayloads: [Int32] = []
    private let mask: Int64
    private var unwrapper = SequenceNumberUnwrapper()
    /// The first packet of the next frame to hand on; nil before the first packet.
    private var head: Int64?
    private var highest: Int64 = 0
    /// After a lost frame, packets are skipped up to the next frame start.
    private var needsResync = false
    private var receiveStatistics: RTPReceiveStatistics
    private var counters = RTCInboundRtpStreamStats()
    private var frameBuffer: [UInt8] = []
    private var rtcpBuffer: [UInt8] = []
    private var feedbackBuffer: [UInt8] = []
    private var nackScratch: [UInt16] = []
    /// Smoothed RTT, measured from NACK to the RTX answer of a packet NACKed once.
    public private(set) var roundTripTime: Duration
    private var awaitingKeyframe = false
    private var firstFrameSeen = false
    private var lastPLIAt: Duration?
    private var lastFrameAt: Duration?
    private var lastPacketAt: Duration?
    private var firstPacketAt: Duration?
    /// True once the head has moved (a frame handed on or packets skipped).
    private var released = false
    private var reporter: RTCPReceiverReporter

    public init(configuration: RTPReceiveStreamConfiguration) {
        self.configuration = configuration
        var c = 16
        while c < configuration.capacity { c <<= 1 }
        c = min(c, 32768)
        slots = Array(repeating: RTPReceiveSlot(), count: c)
        mask = Int64(c - 1)
        receiveStatistics = RTPReceiveStatistics(clockRate: configuration.clockRate)
        reporter = RTCPReceiverReporter(configuration: configuration)
        roundTripTime = configuration.initialRoundTripTime
        counters.ssrc = configuration.ssrc
        rtcpBuffer.reserveCapacity(1500)
        feedbackBuffer.reserveCapacity(1500)
        nackScratch.reserveCapacity(c)
    }

    /// webrtc-stats of this stream.
    public var statistics: RTCInboundRtpStreamStats {
        var s = counters
        s.packetsReceived = receiveStatistics.received
        s.packetsLost = receiveStatistics.cumulativeLost
        s.jitter = receiveStatistics.jitter / Double(configuration.clockRate)
        return s
    }

    private func index(_ seq: Int64) -> Int { Int(seq & mask) }

    /// A gap: sequence number `s` is expected but has not arrived (a NACK candidate).
    private mutating func markMissing(_ s: Int64, at now: Duration) {
        let i = index(s)
        returnPayload(i)
        slots[i].extendedSequenceNumber = s
        slots[i].state = .missing
        slots[i].detectedAt = now
        slots[i].lastNackAt = nil
        slots[i].nackCount = 0
    }

    private var retryInterval: Duration {
        max(configuration.minNackInterval, roundTripTime * 1.1)
    }

    private func givenUp(_ slot: RTPReceiveSlot, at now: Duration) -> Bool { now >= giveUpTime(slot) }

    /// When a missing packet stops being waited for: `maxWait` after it was missed, or a
    /// retry interval after its last NACK once every retry was sent.
    private func giveUpTime(_ slot: RTPReceiveSlot) -> Duration {
        guard configuration.nackEnabled else { return slot.detectedAt + configuration.maxWaitWithoutNACK }
        let limit = slot.detectedAt + configuration.maxWait
        guard slot.nackCount >= configuration.maxNackRetries else { return limit }
        return min(limit, (slot.lastNackAt ?? slot.detectedAt) + retryInterval)
    }

    // MARK: Receiving

    /// Takes one RTP packet (media or RTX). Frames completed by it are handed to `onFrame`
    /// with their bytes (valid only during the call). Throws on a malformed packet.
    public mutating func receive(
        _ packet: UnsafeRawBufferPointer, at now: Duration,
        onFrame: (RTPAssembledFrame, UnsafeRawBufferPointer) -> Void
    ) throws(RTPError) {
        let header = try RTPHeader.parse(packet)
        var payloadRange = header.payloadRange
        var sequenceNumber = header.sequenceNumber
        var isRetransmission = false
        let c = configuration
        if let rtxSSRC = c.rtxSSRC, header.ssrc == rtxSSRC, header.payloadType == c.rtxPayloadType {
            // RFC 4588 §4: the original sequence number leads the payload. Empty RTX
            // packets are padding (bandwidth probes).
            guard let osn = readUInt16(packet, payloadRange.lowerBound), payloadRange.count > 2 else {
                counters.packetsDiscarded += 1
                return
            }
            sequenceNumber = osn
            payloadRange = (payloadRange.lowerBound + 2)..<payloadRange.upperBound
            isRetransmission = true
        } else if header.ssrc != c.ssrc || header.payloadType != c.payloadType {
            counters.packetsDiscarded += 1
            return
        }
        lastPacketAt = now
        let payload = UnsafeRawBufferPointer(rebasing: packet[payloadRange])
        let ext = unwrapper.unwrap(sequenceNumber)
        let headerBytes = Int64(packet.count - payload.count)

        if let currentHead = head, ext < currentHead, !released, currentHead - ext < (mask + 1) / 2 {
            // Still starting up: an earlier packet arrived late; move the head back to it.
            var s = ext + 1
            while s < currentHead {
                let i = index(s)
                if slots[i].extendedSequenceNumber != s { markMissing(s, at: now) }
                s += 1
            }
            head = ext
            needsResync = !Format.isFrameStart(payload)
            store(ext, header: header, payload: payload, at: now)
            account(ext, header, payload, headerBytes, isRetransmission, now)
            release(at: now, onFrame: onFrame)
            return
        }

        guard let currentHead = head else {
            firstPacketAt = now
            head = ext
            highest = ext
            needsResync = !Format.isFrameStart(payload)
            store(ext, header: header, payload: payload, at: now)
            account(ext, header, payload, headerBytes, isRetransmission, now)
            release(at: now, onFrame: onFrame)
            return
        }

        if ext < currentHead {
            let i = index(ext)
            if slots[i].extendedSequenceNumber == ext && slots[i].state == .missing {
                // Arrived after its frame was given up: counts as received, but too late.
                slots[i].state = .released
                account(ext, header, payload, headerBytes, isRetransmission, now)
            }
            counters.packetsDiscarded += 1
            return
        }

        if ext > highest {
            let capacity = mask + 1
            if ext - currentHead >= capacity {
                // The ring would overflow: drop what is held and start again at a frame start.
                head = ext - capacity + 1
                needsResync = true
                frameLost()
            }
            var s = max(highest + 1, ext - capacity + 1)
            while s < ext {
                markMissing(s, at: now)
                s += 1
            }
            highest = ext
        } else {
            let i = index(ext)
            if slots[i].extendedSequenceNumber == ext && slots[i].state != .missing {
                counters.packetsDiscarded += 1  // duplicate
                return
            }
            if isRetransmission, slots[i].extendedSequenceNumber == ext, slots[i].nackCount == 1,
                let sentAt = slots[i].lastNackAt
            {
                // Karn's rule: only a packet asked for once gives an unambiguous RTT sample.
                let sample = now - sentAt
                roundTripTime = roundTripTime * 0.875 + sample * 0.125
            }
        }
        store(ext, header: header, payload: payload, at: now)
        account(ext, header, payload, headerBytes, isRetransmission, now)
        release(at: now, onFrame: onFrame)
    }

    private mutating func account(
        _ ext: Int64, _ header: RTPHeader, _ payload: UnsafeRawBufferPointer, _ headerBytes: Int64,
        _ isRetransmission: Bool, _ now: Duration
    ) {
        receiveStatistics.packetReceived(
            extendedSequenceNumber: ext, timestamp: header.timestamp, arrival: now,
            isRetransmission: isRetransmission)
        counters.bytesReceived += Int64(payload.count)
        counters.headerBytesReceived += headerBytes
        if isRetransmission {
            counters.retransmittedPacketsReceived += 1
            counters.retransmittedBytesReceived += Int64(payload.count)
        }
    }

    private mutating func store(_ ext: Int64, header: RTPHeader, payload: UnsafeRawBufferPointer, at now: Duration) {
        let i = index(ext)
        returnPayload(i)
        let buffer: Int32
        if let free = freePayloads.popLast() {
            buffer = free
        } else {
            buffer = Int32(payloads.count)
            payloads.append([])
        }
        payloads[Int(buffer)].removeAll(keepingCapacity: true)
        payloads[Int(buffer)].append(contentsOf: payload)
        slots[i].payload = buffer
        slots[i].extendedSequenceNumber = ext
        slots[i].state = .present
        slots[i].timestamp = header.timestamp
        slots[i].marker = header.marker
        slots[i].frameStart = Format.isFrameStart(payload)
        slots[i].isKeyframe = slots[i].frameStart && Format.isKeyframe(payload)
    }

    /// The slot's packet is no longer needed (handed on, skipped, or its slot reused): its
    /// buffer goes back for the next packet.
    private mutating func returnPayload(_ i: Int) {
        let buffer = slots[i].payload
        guard buffer >= 0 else { return }
        freePayloads.append(buffer)
        slots[i].payload = -1
    }

    /// Payload buffers lent out now and in all (for tests: they follow what waits).
    var payloadBuffers: (lent: Int, all: Int) { (payloads.count - freePayloads.count, payloads.count) }

    /// A frame this buffer released never reached the decoder (it fell behind): the frames
    /// after it reference it, so wait for a keyframe and ask for one (RFC 4585 §6.3.1), and
    /// count it in `framesDropped`.
    public mutating func decoderLostFrame() { frameLost() }

    private mutating func frameLost() {
        counters.framesDropped += 1
        if configuration.keyframeRequestsEnabled && !Format.everyPacketIsFrame { awaitingKeyframe = true }
    }

    /// Hands on every frame that is complete at the head, giving up frames whose missing
    /// packets will not come.
    private mutating func release(at now: Duration, onFrame: (RTPAssembledFrame, UnsafeRawBufferPointer) -> Void) {
        guard var h = head else { return }
        if !released, let first = firstPacketAt, now - first < configuration.startupDelay { return }
        defer {
            if h != head { released = true }
            head = h
        }
        outer: while h <= highest {
            if needsResync {
                let i = index(h)
                switch slots[i].state {
                case .present where slots[i].extendedSequenceNumber == h && slots[i].frameStart:
                    needsResync = false
                case .missing where slots[i].extendedSequenceNumber == h && !givenUp(slots[i], at: now):
                    return
                default:
                    if slots[i].state == .present {
                        slots[i].state = .released
                        returnPayload(i)
                    }
                    h += 1
                    continue outer
                }
            }
            var s = h
            while s <= highest {
                let i = index(s)
                let slot = slots[i]
                guard slot.extendedSequenceNumber == s, slot.state == .present else {
                    if slot.extendedSequenceNumber == s && slot.state == .missing && !givenUp(slot, at: now) {
                        return  // wait for it
                    }
                    // Lost for good: this frame cannot be completed; what arrived of it goes.
                    frameLost()
                    var p = h
                    while p < s {
                        slots[index(p)].state = .released
                        returnPayload(index(p))
                        p += 1
                    }
                    h = s + 1
                    needsResync = !Format.everyPacketIsFrame
                    continue outer
                }
                if s > h && slot.frameStart {
                    // The previous frame ended without a marker: hand it on as it is.
                    emitFrame(from: h, to: s - 1, at: now, onFrame: onFrame)
                    h = s
                    continue outer
                }
                if slot.marker || Format.everyPacketIsFrame {
                    emitFrame(from: h, to: s, at: now, onFrame: onFrame)
                    h = s + 1
                    continue outer
                }
                s += 1
            }
            return
        }
    }

    private mutating func emitFrame(
        from first: Int64, to last: Int64, at now: Duration,
        onFrame: (RTPAssembledFrame, UnsafeRawBufferPointer) -> Void
    ) {
        // Work on a local buffer so that the closures below capture nothing of self.
        var buffer = frameBuffer
        frameBuffer = []
        defer { frameBuffer = buffer }
        buffer.removeAll(keepingCapacity: true)
        var valid = true
        var s = first
        while s <= last {
            let i = index(s)
            let payload = slots[i].payload
            let ok = payload >= 0 && payloads[Int(payload)].withUnsafeBytes { raw -> Bool in
                do {
                    try Format.appendFrameData(raw, to: &buffer)
                    return true
                } catch {
                    return false
                }
            }
            valid = valid && ok
            slots[i].state = .released
            returnPayload(i)
            s += 1
        }
        guard valid else {
            counters.framesDroppedMalformed += 1
            frameLost()
            return
        }
        let firstSlot = slots[index(first)]
        let isKeyframe = firstSlot.isKeyframe
        if isKeyframe { awaitingKeyframe = false }
        if !firstFrameSeen {
            firstFrameSeen = true
            if !isKeyframe && configuration.keyframeRequestsEnabled && !Format.everyPacketIsFrame {
                awaitingKeyframe = true
            }
        }
        counters.framesReceived += 1
        if isKeyframe { counters.keyFramesReceived += 1 }
        lastFrameAt = now
        let frame = RTPAssembledFrame(
            timestamp: firstSlot.timestamp, firstSequenceNumber: first, lastSequenceNumber: last,
            isKeyframe: isKeyframe, isDecodable: !awaitingKeyframe)
        buffer.withUnsafeBytes { onFrame(frame, $0) }
    }

    // MARK: RTCP

    /// Takes RTCP from the sender: an SR sets LSR/DLSR for our next report; an XR DLRR
    /// answering one of our RRTRs gives the RTT (RFC 3611 §4.5), which spaces NACK retries.
    public mutating func handleRTCP(_ packets: [RTCPPacket], at now: Duration) {
        for packet in packets {
            switch packet {
            case .senderReport(let sr) where sr.ssrc == configuration.ssrc:
                reporter.senderReportReceived(ntpTimestamp: sr.ntpTimestamp, at: now)
            case .extendedReport(let xr):
                for case .dlrr(let subs) in xr.blocks {
                    for sub in subs {
                        if let rtt = reporter.roundTripTime(answering: sub, at: now) { updateRoundTripTime(rtt) }
                    }
                }
            default:
                break
            }
        }
    }

    /// Feeds an RTT measured elsewhere (XR DLRR, ICE checks, the local sender's reports).
    public mutating func updateRoundTripTime(_ rtt: Duration) {
        roundTripTime = roundTripTime * 0.5 + rtt * 0.5
    }

    /// The earliest time `poll` has something to do (a NACK or its retry, a frame to give
    /// up, a keyframe to ask for, the next RR), or nil when nothing waits. Polling at this
    /// time (or later, within what a late NACK costs) does what a 20 ms tick would, without
    /// waking for nothing; never a time before `now` that the poll would not act on, so
    /// that a timer armed on it cannot spin. A packet received may bring it forward.
    public func nextDeadline(after now: Duration) -> Duration? {
        let c = configuration
        var next: Duration?
        func consider(_ t: Duration) { next = min(next ?? t, t) }
        guard let h = head else { return nil }
        // Until the startup delay ends, nothing is released (`release`).
        var starting = false
        if !released, let first = firstPacketAt, first + c.startupDelay > now {
            starting = true
            consider(first + c.startupDelay)
        }
        var blocking = true  // the first missing packet holds the release until it is given up
        var s = h
        while s <= highest {
            let slot = slots[index(s)]
            if slot.extendedSequenceNumber == s && slot.state == .missing {
                if !givenUp(slot, at: now) && c.nackEnabled && slot.nackCount < c.maxNackRetries {
                    consider(slot.lastNackAt.map { $0 + retryInterval } ?? slot.detectedAt + c.reorderingDelay)
                }
                if blocking {
                    blocking = false
                    if !starting { consider(max(giveUpTime(slot), now)) }
                }
            }
            s += 1
        }
        if c.keyframeRequestsEnabled && !Format.everyPacketIsFrame {
            if awaitingKeyframe {
                let interval = max(c.minKeyframeRequestInterval, roundTripTime + .milliseconds(100))
                consider(lastPLIAt.map { $0 + interval } ?? now)
            } else if let lastPacketAt {
                // Packets flow but no frame completes: reachable only while the packets are recent.
                let at = max((lastFrameAt ?? .zero) + c.keyframeRequestTimeout, now)
                if at < lastPacketAt + c.keyframeRequestTimeout { consider(at) }
            }
        }
        consider(reporter.nextReportTime ?? now)
        return next
    }

    /// Gives up frames that waited too long, and emits the RTCP due now (NACK, PLI, RR) as
    /// one compound packet through `sendRTCP`.
    public mutating func poll(
        at now: Duration, onFrame: (RTPAssembledFrame, UnsafeRawBufferPointer) -> Void,
        sendRTCP: (UnsafeRawBufferPointer) -> Void
    ) {
        release(at: now, onFrame: onFrame)
        let c = configuration
        feedbackBuffer.removeAll(keepingCapacity: true)

        if c.nackEnabled, let h = head, h <= highest {
            nackScratch.removeAll(keepingCapacity: true)
            let interval = retryInterval
            var s = h
            while s <= highest {
                let i = index(s)
                if slots[i].extendedSequenceNumber == s && slots[i].state == .missing
                    && slots[i].nackCount < c.maxNackRetries && !givenUp(slots[i], at: now)
                {
                    let due = slots[i].lastNackAt.map { $0 + interval } ?? slots[i].detectedAt + c.reorderingDelay
                    if now >= due {
                        nackScratch.append(UInt16(truncatingIfNeeded: s))
                        slots[i].lastNackAt = now
                        slots[i].nackCount += 1
                    }
                }
                s += 1
            }
            if !nackScratch.isEmpty {
                RTCPGenericNACK.write(
                    senderSSRC: c.localSSRC, mediaSSRC: c.ssrc, lostSequenceNumbers: nackScratch,
                    into: &feedbackBuffer)
                counters.nackCount += 1
            }
        }

        if c.keyframeRequestsEnabled && !Format.everyPacketIsFrame {
            if let lastPacketAt, now - lastPacketAt < c.keyframeRequestTimeout,
                now - (lastFrameAt ?? .zero) >= c.keyframeRequestTimeout, !awaitingKeyframe, head != nil
            {
                awaitingKeyframe = true  // packets flow but no frame completes
            }
            let interval = max(c.minKeyframeRequestInterval, roundTripTime + .milliseconds(100))
            if awaitingKeyframe && (lastPLIAt.map { now - $0 >= interval } ?? true) {
                RTCPPictureLossIndication(senderSSRC: c.localSSRC, mediaSSRC: c.ssrc).write(into: &feedbackBuffer)
                counters.pliCount += 1
                lastPLIAt = now
            }
        }

        let reportDue = head != nil && reporter.isDue(at: now)
        rtcpBuffer.removeAll(keepingCapacity: true)
        if reportDue || (!feedbackBuffer.isEmpty && !c.reducedSizeRTCP) {
            reporter.write(scheduled: reportDue, statistics: &receiveStatistics, at: now, into: &rtcpBuffer)
        }
        rtcpBuffer.append(contentsOf: feedbackBuffer)
        if !rtcpBuffer.isEmpty {
            rtcpBuffer.withUnsafeBytes { sendRTCP($0) }
        }
    }
}

enum RTPReceiveSlotState: Sendable { case empty, missing, present, released }

/// One sequence number's place in a receive stream's ring. Outside the generic stream so
/// that it is one concrete type (no metadata looked up per access) and plain data (copied
/// without retains): its payload is an index into the stream's buffers.
struct RTPReceiveSlot: Sendable {
    var extendedSequenceNumber: Int64 = .min
    var state = RTPReceiveSlotState.empty
    var timestamp: UInt32 = 0
    var marker = false
    var frameStart = false
    var isKeyframe = false
    var detectedAt: Duration = .zero
    var lastNackAt: Duration?
    var nackCount = 0
    /// The buffer lent to this slot's packet; -1 when it holds none.
    var payload: Int32 = -1
}
