import DTLS
import ICE
import Logging
import NIOCore
import RTP
import SRTP
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// DTLS-SRTP on the ICE transport (RFC 5764), the way `RTCDtlsTransport` sits under every
/// `RTCRtpSender`/`RTCRtpReceiver` of a BUNDLE group.
///
/// Runs on the connection's event loop: the peer connection hands it every datagram the ICE
/// agent demultiplexed as DTLS or RTP/RTCP (RFC 7983); DTLS records go to the handshake,
/// RTP and RTCP are unprotected and handed on (RTCP told apart by its packet type, RFC 5761
/// §4). Media that overtakes our own `Finished` (the peer completed first) is kept, a few
/// packets at most, and delivered once the keys exist.
///
/// Retransmission (RFC 6347 §4.2.4): OpenSSL keeps its timer on the system clock. On a real
/// loop we poll it at a short interval while the handshake runs. On a simulated loop a timer
/// of our own runs on the loop's clock (1 s, doubling), and when it fires we wait out what is
/// left of OpenSSL's short real timer (a few ms at most) before asking it to retransmit.
final class RTCDtlsTransport: Sendable {
    enum State: String, Sendable { case new, connecting, connected, closed, failed }

    /// What arrives after unprotection, called on the event loop.
    struct Handlers: Sendable {
        var rtp: @Sendable ([UInt8]) -> Void = { _ in }
        var rtcp: @Sendable ([UInt8]) -> Void = { _ in }
        /// A protected packet that failed to unprotect (its header is clear: the receiver of
        /// its SSRC counts it too), and whether it was RTCP.
        var unprotectFailed: @Sendable ([UInt8], Bool) -> Void = { _, _ in }
        var stateChanged: @Sendable (State) -> Void = { _ in }
    }

    private struct Inner {
        var state = State.new
        var sessions: (outbound: SRTPSession, inbound: SRTPSession)?
        var early: [[UInt8]] = []
        var failure: (any Error)?
        var handlers = Handlers()
        var timer: Scheduled<Void>?
        var simulatedInterval: TimeAmount = .seconds(1)
    }

    /// For getStats (`transport` and the SRTP failure counts).
    struct Counters: Sendable {
        var bytesSent: Int64 = 0
        var bytesReceived: Int64 = 0
        var packetsSent: Int64 = 0
        var packetsReceived: Int64 = 0
        var unprotectFailures: Int64 = 0
        /// Packets that could not be protected or sent (before the keys, after close, or an
        /// SRTP or socket error).
        var sendFailures: Int64 = 0
        /// Media that arrived before the keys and did not fit in the early buffer.
        var earlyDrops: Int64 = 0
    }

    let ice: ICEAgent
    let dtls: DTLSTransport
    let eventLoop: any EventLoop
    let simulatedTime: Bool
    private let inner = Mutex(Inner())
    /// Counted without the lock: every packet passes here.
    private let bytesSent = Atomic<Int64>(0)
    private let bytesReceived = Atomic<Int64>(0)
    private let packetsSent = Atomic<Int64>(0)
    private let packetsReceived = Atomic<Int64>(0)
    private let unprotectFailures = Atomic<Int64>(0)
    private let sendFailures = Atomic<Int64>(0)
    private let earlyDrops = Atomic<Int64>(0)
    private static let earlyLimit = 64

    init(ice: ICEAgent, dtls: DTLSTransport, eventLoop: any EventLoop, simulatedTime: Bool) {
        self.ice = ice
        self.dtls = dtls
        self.eventLoop = eventLoop
        self.simulatedTime = simulatedTime
    }

    var state: State { inner.withLock { $0.state } }
    /// Why the handshake failed, once it has.
    var failure: (any Error)? { inner.withLock { $0.failure } }
    var counters: Counters {
        Counters(bytesSent: bytesSent.load(ordering: .relaxed), bytesReceived: bytesReceived.load(ordering: .relaxed),
                 packetsSent: packetsSent.load(ordering: .relaxed), packetsReceived: packetsReceived.load(ordering: .relaxed),
                 unprotectFailures: unprotectFailures.load(ordering: .relaxed),
                 sendFailures: sendFailures.load(ordering: .relaxed), earlyDrops: earlyDrops.load(ordering: .relaxed))
    }

    func setHandlers(_ handlers: Handlers) { inner.withLock { $0.handlers = handlers } }

    /// Starts the handshake. On the event loop.
    func start() {
        eventLoop.preconditionInEventLoop()
        let proceed = inner.withLock { s -> Bool in
            guard s.state == .new else { return false }
            s.state = .connecting
            return true
        }
        guard proceed else { return }
        Log.dtls.debug("handshake started as the \(dtls.role == .client ? "client" : "server")")
        inner.withLock { $0.handlers }.stateChanged(.connecting)
        let events = dtls.start()
        flush()
        handle(events)
        armTimer()
    }

    /// One datagram from the ICE agent, on the event loop.
    func receive(_ datagram: ReceivedDatagram) {
        switch datagram.kind {
        case .dtls:
            Log.dtls.debug("received \(DTLSRecordDescription.describe(datagram.payload)) from \(datagram.source)")
            let events: [DTLSEvent]
            do { events = try dtls.receive(datagram.payload) } catch {
                fail(error)
                return
            }
            flush()
            handle(events)
            if simulatedTime, state == .connecting {
                // A flight arrived: the next expected one gets a fresh timer.
                inner.withLock { $0.simulatedInterval = .seconds(1) }
                armTimer()
            }
        case .rtp:
            deliver(datagram.payload)
        default:
            return
        }
    }

    private func armTimer() {
        guard state == .connecting else { return }
        let delay: TimeAmount
        if simulatedTime {
            delay = inner.withLock { $0.simulatedInterval }
        } else {
            let left = dtls.retransmissionTimeout ?? .milliseconds(50)
            let wait = max(min(left, .milliseconds(50)), .milliseconds(5))
            delay = .nanoseconds(Int64(wait.components.seconds) * 1_000_000_000 + wait.components.attoseconds / 1_000_000_000)
        }
        let task = eventLoop.scheduleTask(in: delay) { [self] in timerFired() }
        inner.withLock { s in
            s.timer?.cancel()
            s.timer = task
        }
    }

    private func timerFired() {
        guard state == .connecting else { return }
        let events: [DTLSEvent]
        if simulatedTime {
            // The schedule is this loop's (`callerClocksRetransmissions`), RFC 6347 §4.2.4.1.
            inner.withLock { $0.simulatedInterval = min($0.simulatedInterval * 2, .seconds(60)) }
            events = dtls.retransmit()
        } else {
            events = dtls.handleTimeout()
        }
        flush()
        handle(events)
        armTimer()
    }

    private func flush() {
        for datagram in dtls.takeOutgoingDatagrams() {
            Log.dtls.debug("sent \(DTLSRecordDescription.describe(datagram))")
            do { try ice.sendOnEventLoop(datagram) } catch {
                sendFailures.add(1, ordering: .relaxed)
                Log.dtls.warning("a DTLS datagram was not sent: \(error)")
            }
        }
    }

    private func handle(_ events: [DTLSEvent]) {
        for event in events {
            switch event {
            case .connected:
                do {
                    // Where DTLS and SRTP meet: the handshake's keys, the sessions of our role.
                    let sessions = try dtls.exportSRTPKeyingMaterial().makeSessions(isDTLSClient: dtls.role == .client)
                    let (early, handlers) = inner.withLock { s in
                        s.sessions = sessions
                        s.state = .connected
                        s.timer?.cancel()
                        s.timer = nil
                        defer { s.early = [] }
                        return (s.early, s.handlers)
                    }
                    Log.dtls.debug("handshake complete: \(dtls.dtlsCipher ?? "?"), SRTP \(sessions.inbound.profile)")
                    handlers.stateChanged(.connected)
                    for packet in early { deliver(packet) }
                } catch {
                    fail(error)
                }
            case .failed(let error):
                fail(error)
            case .closed:
                // The peer sent close_notify: it hung up (RFC 5246 §7.2.1).
                let (handlers, changed) = inner.withLock { s in
                    defer { s.state = .closed; s.sessions = nil }
                    return (s.handlers, s.state != .closed)
                }
                if changed {
                    Log.dtls.debug("the peer closed DTLS (close_notify)")
                    handlers.stateChanged(.closed)
                }
            default:
                continue
            }
        }
    }

    private func fail(_ error: any Error) {
        let (handlers, changed) = inner.withLock { s in
            guard s.state == .connecting || s.state == .new else { return (s.handlers, false) }
            s.state = .failed
            s.failure = error
            s.timer?.cancel()
            s.timer = nil
            return (s.handlers, true)
        }
        if changed {
            Log.dtls.notice("handshake failed: \(error)")
            handlers.stateChanged(.failed)
        }
    }

    private func deliver(_ packet: [UInt8]) {
        let (session, handlers): (SRTPSession?, Handlers) = inner.withLock { s in
            guard let sessions = s.sessions else {
                if s.state == .connecting, s.early.count < Self.earlyLimit { s.early.append(packet) } else { earlyDrops.add(1, ordering: .relaxed) }
                return (nil, s.handlers)
            }
            return (sessions.inbound, s.handlers)
        }
        guard let session else { return }
        let rtcp = isRTCPPacket(packet)
        do {
            let clear = rtcp ? try session.unprotectRTCP(packet) : try session.unprotectRTP(packet)
            packetsReceived.add(1, ordering: .relaxed)
            bytesReceived.add(Int64(packet.count), ordering: .relaxed)
            if rtcp { handlers.rtcp(clear) } else { handlers.rtp(clear) }
        } catch {
            // Replays and forgeries are dropped here (RFC 3711 §3.3.2), and counted, here and
            // by the receiver of the SSRC. Trace only: a flood must not flood the log.
            unprotectFailures.add(1, ordering: .relaxed)
            Log.dtls.trace("SRTP\(rtcp ? "CP" : "") unprotect failed (\(packet.count) bytes): \(error)")
            handlers.unprotectFailed(packet, rtcp)
        }
    }

    /// Protects and sends one RTP or RTCP packet, from any thread (the session and ICE's
    /// route take their own locks; `MediaTransport` orders the packets). Nothing leaves
    /// unencrypted: before the keys exist (or after close) the packet is counted and dropped.
    func send(_ packet: [UInt8], isRTCP: Bool) {
        var buffer = packet
        buffer.append(contentsOf: repeatElement(0, count: SRTPSession.trailerCapacity))
        buffer.withUnsafeMutableBytes { send(protectingInPlace: $0, length: packet.count, isRTCP: isRTCP) }
    }

    /// As `send(_:isRTCP:)` for a packet in `buffer[0..<length]`, protected in place (the
    /// buffer has `SRTPSession.trailerCapacity` bytes of room after it): the media path's
    /// packets go from the pacer to the socket with one copy, into the socket's buffer (on a
    /// direct pair; through a relay ICE wraps an array).
    func send(protectingInPlace buffer: UnsafeMutableRawBufferPointer, length: Int, isRTCP: Bool) {
        guard let session = inner.withLock({ $0.sessions?.outbound }) else {
            sendFailures.add(1, ordering: .relaxed)
            return
        }
        do {
            let protectedLength = isRTCP ? try session.protectRTCP(buffer, length: length)
                : try session.protectRTP(buffer, length: length)
            try ice.send(bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<protectedLength]))
            packetsSent.add(1, ordering: .relaxed)
            bytesSent.add(Int64(protectedLength), ordering: .relaxed)
        } catch {
            sendFailures.add(1, ordering: .relaxed)
            Log.rtp.trace("\(isRTCP ? "RTCP" : "RTP") packet not sent: \(error)")
        }
    }

    /// Sends close_notify and stops the timer. On the event loop.
    func close() {
        let wasOpen = inner.withLock { s in
            let open = s.state != .closed
            s.state = .closed
            s.sessions = nil
            s.timer?.cancel()
            s.timer = nil
            return open
        }
        guard wasOpen else { return }
        dtls.close()
        flush()
    }
}
