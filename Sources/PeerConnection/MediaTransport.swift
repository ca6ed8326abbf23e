import Logging
import NIOCore
import RTP
import SRTP
import Synchronization

/// The RTP side of the one BUNDLE transport: the glue between the sans-I/O
/// `RTPTransportController` (pacer, egress stamping, NACK/RTX budget, SR, REMB,
/// transport-cc, the bandwidth estimator) and the event loop, the clock and DTLS-SRTP.
///
/// Calls come from any thread: the loop (the timer, RTCP, the receive side) and the encoders'
/// threads, from which a frame's packets leave with no hop to the loop (a sender's loop woke
/// 72 times a second for those hops, docs/performance.md, round 8). One lock serializes the
/// controller and the protection and sending of what it emits, so that packets leave in the
/// order they were numbered and stamped (transport-cc reads the order). The controller's next
/// deadline is kept armed as one loop timer; its events (a new target, a keyframe request)
/// go to `onEvent` on the loop, outside the lock.
final class MediaTransport: Sendable {
    private let dtls: RTCDtlsTransport
    private let eventLoop: any EventLoop
    private let clock: MediaClock
    private let onEvent: @Sendable (RTPTransportEvent) -> Void
    private static let logger = Logger(label: "tincan.rtp.transport")

    private struct State: Sendable {
        var controller: RTPTransportController
        var timer: Scheduled<Void>?
        var timerDeadline: Duration?
        var closed = false
        /// Packets the controller refused (a full history, an unparsable payload), counted.
        var sendErrors = 0
        /// The packets of one poll, reused from poll to poll.
        var outgoing = OutgoingPackets()
    }

    /// What one poll emits, back to back in one reused buffer, each with room for its SRTP
    /// trailer so that it is protected where it lies (no copy per packet, no allocation once
    /// the buffer has grown to a burst's size).
    struct OutgoingPackets: Sendable {
        var bytes: [UInt8] = []
        var packets: [(offset: Int, length: Int, isRTCP: Bool)] = []
        var used = 0

        mutating func append(_ packet: UnsafeRawBufferPointer, isRTCP: Bool) {
            let room = packet.count + SRTPSession.trailerCapacity
            if bytes.count < used + room { bytes.append(contentsOf: repeatElement(0, count: max(used + room - bytes.count, 4096))) }
            bytes.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[used..<(used + packet.count)]).copyMemory(from: packet) }
            packets.append((used, packet.count, isRTCP))
            used += room
        }

        mutating func removeAll() {
            packets.removeAll(keepingCapacity: true)
            used = 0
        }
    }

    private let state: Mutex<State>

    init(configuration: RTPTransportConfiguration, dtls: RTCDtlsTransport, clock: MediaClock,
         onEvent: @escaping @Sendable (RTPTransportEvent) -> Void) {
        self.dtls = dtls
        eventLoop = dtls.eventLoop
        self.clock = clock
        self.onEvent = onEvent
        state = Mutex(State(controller: RTPTransportController(configuration: configuration, at: clock.now())))
    }

    var configuration: RTPTransportConfiguration { state.withLock { $0.controller.configuration } }

    // MARK: Streams

    func addStream(_ sender: RTPSendStream, kind: RTPMediaKind) -> RTPTransportStreamID {
        state.withLock { $0.controller.addStream(sender, kind: kind) }
    }

    func removeStream(_ id: RTPTransportStreamID) {
        state.withLock { $0.controller.removeStream(id) }
    }

    /// The stream's `RTPSendStream` as it is now (its statistics and RTT, for getStats).
    func sender(_ id: RTPTransportStreamID) -> RTPSendStream { state.withLock { $0.controller.sender(id) } }

    /// What the peer last reported about a stream (fraction lost, reports so far): read for
    /// every audio packet (Opus follows the loss).
    func remoteReport(_ id: RTPTransportStreamID) -> RTCRemoteInboundRtpStreamStats {
        state.withLock { $0.controller.sender(id).remoteStatistics }
    }

    // MARK: Send side

    /// One packet's payload of a stream; it leaves when the pacer lets it (call `flush` after
    /// the frame's last packet).
    func send(_ id: RTPTransportStreamID, payload: UnsafeRawBufferPointer, timestamp: UInt32, marker: Bool) {
        state.withLock { s in
            guard !s.closed else { return }
            // Read under the lock: the controller's time never goes back between threads.
            let now = clock.now()
            do { try s.controller.send(id, payload: payload, timestamp: timestamp, marker: marker, at: now) } catch {
                s.sendErrors += 1
                Self.logger.warning("RTP packet not sent: \(error)")
            }
        }
    }

    /// Sends what is due now and re-arms the timer.
    func flush() {
        run { _, _ in }
    }

    /// New bounds for the estimator (the user's cap).
    func setConstraints(_ constraints: BitrateConstraints) {
        run { c, now in c.setConstraints(constraints, at: now) }
    }

    // MARK: Receive side

    /// An incoming RTCP compound, parsed: NACK, PLI/FIR, REMB, transport-cc and reports.
    func handleRTCP(_ packets: [RTCPPacket]) {
        run { c, now in
            do { try c.handleRTCP(packets, at: now) } catch {
                Self.logger.debug("RTCP not handled: \(error)")
            }
        }
    }

    /// An incoming RTP packet (clear), for transport-cc feedback and the REMB estimator.
    func receivedRTP(_ packet: [UInt8], header: RTPHeader) {
        let rearm = state.withLock { s -> Bool in
            guard !s.closed else { return false }
            let now = clock.now()
            packet.withUnsafeBytes { s.controller.receivedRTP($0, header: header, at: now) }
            guard let next = s.controller.nextDeadline else { return false }
            return s.timerDeadline.map { next < $0 } ?? true
        }
        if rearm { flush() }
    }

    // MARK: The loop

    /// Runs `body` on the controller, then polls it (a few times while work is due at once),
    /// arms the timer for the next deadline, and protects and sends what it emitted, all
    /// under the lock; the events go to the loop after it.
    private func run(_ body: (inout RTPTransportController, Duration) -> Void) {
        let events = state.withLock { s -> [RTPTransportEvent] in
            guard !s.closed else { return [] }
            let now = clock.now()
            body(&s.controller, now)
            // Taken out while it is filled and sent, so that it is not shared (and copied).
            var outgoing = s.outgoing
            s.outgoing = OutgoingPackets()
            var rounds = 0
            repeat {
                do {
                    try s.controller.poll(at: now) { bytes, kind in outgoing.append(bytes, isRTCP: kind == .rtcp) }
                } catch {
                    s.sendErrors += 1
                    Self.logger.warning("RTP output failed: \(error)")
                }
                rounds += 1
            } while rounds < 4 && (s.controller.nextDeadline.map { $0 <= now } ?? false)
            // A local array, not a reused one: handing out a reused array's storage and then
            // emptying it "keeping capacity" allocated a new buffer on every run.
            var events: [RTPTransportEvent] = []
            while let e = s.controller.pollEvent() { events.append(e) }
            arm(&s, now: now)
            outgoing.bytes.withUnsafeMutableBytes { raw in
                for p in outgoing.packets {
                    dtls.send(protectingInPlace: UnsafeMutableRawBufferPointer(rebasing: raw[p.offset..<(p.offset + p.length + SRTPSession.trailerCapacity)]),
                              length: p.length, isRTCP: p.isRTCP)
                }
            }
            outgoing.removeAll()
            s.outgoing = outgoing
            return events
        }
        guard !events.isEmpty else { return }
        if eventLoop.inEventLoop {
            for e in events { onEvent(e) }
        } else {
            eventLoop.execute { [onEvent] in for e in events { onEvent(e) } }
        }
    }

    /// One timer at the controller's next deadline. An earlier deadline replaces the armed
    /// one; a later one waits for the armed timer to fire (a pacer deadline moves with every
    /// packet: re-arming each time would cost more than an early wakeup). Never at `now` or
    /// before: work due now was just polled, and a timer at the same instant would spin a
    /// simulated clock.
    private func arm(_ s: inout State, now: Duration) {
        guard let next = s.controller.nextDeadline else { return }
        if let armed = s.timerDeadline, armed <= next { return }
        s.timer?.cancel()
        let at = max(next, now + .milliseconds(1))
        s.timerDeadline = at
        s.timer = eventLoop.scheduleTask(deadline: NIODeadline.uptimeNanoseconds(Self.nanosecondsRoundedUp(at))) { [weak self] in
            self?.timerFired(at)
        }
    }

    private func timerFired(_ deadline: Duration) {
        state.withLock { s in
            if s.timerDeadline == deadline {
                s.timerDeadline = nil
                s.timer = nil
            }
        }
        flush()
    }

    /// A deadline as loop nanoseconds, rounded up so the timer never fires before it.
    static func nanosecondsRoundedUp(_ d: Duration) -> UInt64 {
        let (seconds, attoseconds) = d.components
        let ns = seconds * 1_000_000_000 + (attoseconds + 999_999_999) / 1_000_000_000
        return UInt64(max(0, ns))
    }

    /// Stops the timer; nothing is sent after this.
    func close() {
        state.withLock { s in
            s.closed = true
            s.timer?.cancel()
            s.timer = nil
            s.timerDeadline = nil
        }
    }

    // MARK: Stats

    struct Statistics: Sendable {
        var transport: RTPTransportStatistics
        var target: TargetTransferRate
        var queuedPackets: Int
        var sendErrors: Int
        /// The newest estimate the REMB stage sent (receive side), bit/s.
        var receiveEstimate: Int?
        /// The estimator's parts (pion's GCC stats have the same), to see which one holds the
        /// rate down; nil without send-side estimation.
        var estimator: GoogleCongestionController?
    }

    var statistics: Statistics {
        state.withLock { s in
            Statistics(transport: s.controller.statistics, target: s.controller.target,
                       queuedPackets: s.controller.queuedPackets, sendErrors: s.sendErrors,
                       receiveEstimate: s.controller.remb?.estimator.estimate,
                       estimator: s.controller.bandwidthEstimation?.estimator)
        }
    }
}
