import DTLS
import ICE
import SRTP
import Synchronization

/// DTLS-SRTP on the ICE transport (RFC 5764), the way `RTCDtlsTransport` sits under every
/// `RTCRtpSender`/`RTCRtpReceiver` of a BUNDLE group.
///
/// One task reads the ICE socket and demultiplexes by first byte (RFC 7983): DTLS records
/// go to the handshake, RTP and RTCP are unprotected and handed on (RTCP told apart by its
/// packet type, RFC 5761 §4). A second task drives the DTLS retransmission timer until the
/// handshake is over. Media that overtakes our own `Finished` (the peer completed first) is
/// kept, a few packets at most, and delivered once the keys exist.
final class RTCDtlsTransport: Sendable {
    enum State: String, Sendable { case new, connecting, connected, closed, failed }

    /// What arrives after unprotection.
    struct Handlers: Sendable {
        var rtp: @Sendable ([UInt8]) -> Void = { _ in }
        var rtcp: @Sendable ([UInt8]) -> Void = { _ in }
        var stateChanged: @Sendable (State) -> Void = { _ in }
    }

    private struct Inner {
        var state = State.new
        var sessions: (outbound: SRTPSession, inbound: SRTPSession)?
        var early: [[UInt8]] = []
        var waiters: [CheckedContinuation<Void, any Error>] = []
        var failure: (any Error)?
        var handlers = Handlers()
        var tasks: [Task<Void, Never>] = []
    }

    /// For getStats (`transport` and the SRTP failure counts).
    struct Counters: Sendable {
        var bytesSent: Int64 = 0
        var bytesReceived: Int64 = 0
        var packetsSent: Int64 = 0
        var packetsReceived: Int64 = 0
        var unprotectFailures: Int64 = 0
    }

    let ice: ICEAgent
    let dtls: DTLSTransport
    private let inner = Mutex(Inner())
    /// Counted without the lock: every packet passes here.
    private let bytesSent = Atomic<Int64>(0)
    private let bytesReceived = Atomic<Int64>(0)
    private let packetsSent = Atomic<Int64>(0)
    private let packetsReceived = Atomic<Int64>(0)
    private let unprotectFailures = Atomic<Int64>(0)
    private static let earlyLimit = 64

    init(ice: ICEAgent, dtls: DTLSTransport) {
        self.ice = ice
        self.dtls = dtls
    }

    var state: State { inner.withLock { $0.state } }
    var counters: Counters {
        Counters(bytesSent: bytesSent.load(ordering: .relaxed), bytesReceived: bytesReceived.load(ordering: .relaxed),
                 packetsSent: packetsSent.load(ordering: .relaxed), packetsReceived: packetsReceived.load(ordering: .relaxed),
                 unprotectFailures: unprotectFailures.load(ordering: .relaxed))
    }

    func setHandlers(_ handlers: Handlers) { inner.withLock { $0.handlers = handlers } }

    /// Starts reading the ICE socket and the handshake; returns at once.
    func start() {
        let proceed = inner.withLock { s -> Bool in
            guard s.state == .new else { return false }
            s.state = .connecting
            return true
        }
        guard proceed else { return }
        inner.withLock { $0.handlers }.stateChanged(.connecting)
        let events = dtls.start()
        let reader = Task { [self] in
            await flush()
            handle(events)
            await readLoop()
        }
        let timer = Task { [self] in await timerLoop() }
        inner.withLock { $0.tasks += [reader, timer] }
    }

    /// Waits until SRTP keys exist; throws if the handshake fails (fingerprint mismatch,
    /// alert) or the transport closes first.
    func connected() async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let result: Result<Void, any Error>? = inner.withLock { s in
                switch s.state {
                case .connected: return .success(())
                case .failed: return .failure(s.failure ?? DTLSError.setupFailed("DTLS failed"))
                case .closed: return .failure(DTLSError.setupFailed("the transport was closed"))
                case .new, .connecting:
                    s.waiters.append(c)
                    return nil
                }
            }
            if let result { c.resume(with: result) }
        }
    }

    private func readLoop() async {
        for await datagram in ice.datagrams {
            switch datagram.kind {
            case .dtls:
                let events: [DTLSEvent]
                do { events = try dtls.receive(datagram.payload) } catch {
                    fail(error)
                    continue
                }
                await flush()
                handle(events)
            case .rtp:
                deliver(datagram.payload)
            default:
                continue
            }
            if Task.isCancelled { break }
        }
    }

    /// RFC 6347 §4.2.4: retransmit a lost flight. OpenSSL keeps the timer on the system
    /// clock, so we poll it at a short interval while the handshake runs.
    private func timerLoop() async {
        while !Task.isCancelled, state == .connecting {
            let wait = min(dtls.retransmissionTimeout ?? .milliseconds(50), .milliseconds(50))
            try? await Task.sleep(for: max(wait, .milliseconds(5)))
            guard state == .connecting else { break }
            let events = dtls.handleTimeout()
            await flush()
            handle(events)
        }
    }

    private func flush() async {
        for datagram in dtls.takeOutgoingDatagrams() {
            try? await ice.send(datagram)
        }
    }

    private func handle(_ events: [DTLSEvent]) {
        for event in events {
            switch event {
            case .connected:
                do {
                    let sessions = try dtls.makeSRTPSessions()
                    let (waiters, early, handlers) = inner.withLock { s in
                        s.sessions = sessions
                        s.state = .connected
                        defer { s.waiters = []; s.early = [] }
                        return (s.waiters, s.early, s.handlers)
                    }
                    handlers.stateChanged(.connected)
                    for w in waiters { w.resume() }
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
                if changed { handlers.stateChanged(.closed) }
            default:
                continue
            }
        }
    }

    private func fail(_ error: any Error) {
        let (waiters, handlers, changed) = inner.withLock { s in
            guard s.state == .connecting || s.state == .new else { return ([CheckedContinuation<Void, any Error>](), s.handlers, false) }
            s.state = .failed
            s.failure = error
            defer { s.waiters = [] }
            return (s.waiters, s.handlers, true)
        }
        if changed { handlers.stateChanged(.failed) }
        for w in waiters { w.resume(throwing: error) }
    }

    /// RFC 5761 §4: an RTCP packet type (SR 200 ... XR 207, FB 205/206) in the second byte
    /// reads as an RTP payload type 72-79 with the marker bit; RTP payload types avoid 64-95.
    static func isRTCP(_ packet: [UInt8]) -> Bool {
        packet.count >= 2 && (64...95).contains(packet[1] & 0x7F)
    }

    private func deliver(_ packet: [UInt8]) {
        let (session, handlers): (SRTPSession?, Handlers) = inner.withLock { s in
            guard let sessions = s.sessions else {
                if s.state == .connecting, s.early.count < Self.earlyLimit { s.early.append(packet) }
                return (nil, s.handlers)
            }
            return (sessions.inbound, s.handlers)
        }
        guard let session else { return }
        let rtcp = Self.isRTCP(packet)
        do {
            let clear = rtcp ? try session.unprotectRTCP(packet) : try session.unprotectRTP(packet)
            packetsReceived.add(1, ordering: .relaxed)
            bytesReceived.add(Int64(packet.count), ordering: .relaxed)
            if rtcp { handlers.rtcp(clear) } else { handlers.rtp(clear) }
        } catch {
            // Replays and forgeries are dropped here (RFC 3711 §3.3.2).
            unprotectFailures.add(1, ordering: .relaxed)
        }
    }

    /// Protects and sends one RTP or RTCP packet; dropped silently before the keys exist
    /// (nothing leaves unencrypted) or after close.
    func send(_ packet: [UInt8], isRTCP: Bool) async {
        guard let session = inner.withLock({ $0.sessions?.outbound }) else { return }
        guard let protected = try? (isRTCP ? session.protectRTCP(packet) : session.protectRTP(packet)) else { return }
        packetsSent.add(1, ordering: .relaxed)
        bytesSent.add(Int64(protected.count), ordering: .relaxed)
        try? await ice.send(protected)
    }

    /// Sends close_notify, stops the tasks and fails anyone still waiting.
    func close() async {
        let (tasks, waiters, wasOpen) = inner.withLock { s in
            let open = s.state != .closed
            s.state = .closed
            s.sessions = nil
            defer { s.tasks = []; s.waiters = [] }
            return (s.tasks, s.waiters, open)
        }
        guard wasOpen else { return }
        dtls.close()
        await flush()
        for t in tasks { t.cancel() }
        for w in waiters { w.resume(throwing: DTLSError.setupFailed("the transport was closed")) }
    }
}
