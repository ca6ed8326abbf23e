import DTLS
import ICE
import NetworkPrimitives
import RTP
import SRTP
import VirtualNetwork

/// Two WebRTC endpoints (sans-I/O ICE core, DTLS-SRTP, SRTP) on one `VirtualNetwork`, driven
/// by a single loop on the network's simulated clock, so a call with 100 ms of one-way delay
/// and several seconds of media runs in a fraction of a second of real time.
///
/// The loop is bounded three ways: it ends when the media has been sent and drained, when
/// the simulated clock reaches `Settings.simulatedDeadline`, or when `Settings.realTimeLimit`
/// of real time has passed (a stuck loop must fail the test, not hang it). `stopReason`
/// says which.
///
/// DTLS timers: OpenSSL 3.0 reads its retransmission timer from the system clock and offers
/// no way to inject another, so the simulated clock alone can never make it expire. The call
/// therefore keeps a retransmission timer of its own per endpoint on the simulated clock
/// (RFC 6347 §4.2.4.1: armed when a flight goes out, doubled on each expiry); when it fires,
/// the loop waits out whatever is left of OpenSSL's short real timer and then calls
/// `handleTimeout()`, which retransmits the flight. Simulated time stands still during
/// that short real wait.
final class SimulatedCall {
    struct Settings {
        var seed: UInt64
        var controllingIsDTLSClient: Bool
        var link: LinkConditions
        var packetsEachWay = 250
        /// One Opus frame every 20 ms.
        var packetInterval: Duration = .milliseconds(20)
        /// Simulated DTLS retransmission timer: RFC 6347 §4.2.4.1's initial 1 s (well above
        /// the 200 ms round trip, so it never fires before an answer could arrive).
        var dtlsInitialTimer: Duration = .seconds(1)
        /// OpenSSL's own timer, on the real clock: short, so the real wait behind each
        /// simulated expiry stays short, yet well above the real time the simulated
        /// handshake needs between a flight and its answer. (OpenSSL counts a timer with
        /// under 15 ms left as expired, so 20 ms would be 5 ms and retransmit spuriously.)
        var openSSLInitialTimer: Duration = .milliseconds(100)
        /// Time after the last packet for it to arrive (one-way delay is 100 ms).
        var drainTime: Duration = .seconds(1)
        var simulatedDeadline: Duration = .seconds(60)
        var realTimeLimit: Duration = .seconds(20)
    }

    enum StopReason: Equatable {
        case finished, simulatedDeadline, realTimeLimit
    }

    /// A packet that arrived and unprotected: its sequence number, when it arrived, and
    /// whether its bytes equal what the peer protected.
    struct Arrival {
        var sequenceNumber: UInt16
        var ssrc: UInt32
        var arrivedAt: Duration
        var intact: Bool
    }

    /// Datagrams one kind of traffic put on the network, and how many the network dropped.
    struct Tally {
        var sent = 0
        var lost = 0
    }

    /// One endpoint: its ICE core, its DTLS transport, its SRTP sessions once keyed, and
    /// the timeline the test checks.
    final class Endpoint {
        let name: String
        var ice: ICEAgentCore
        let address: TransportAddress
        let base: TransportAddress
        let dtls: DTLSTransport
        let ssrc: UInt32

        var iceSelectedAt: Duration?
        var dtlsStartedAt: Duration?
        var dtlsConnectedAt: Duration?
        /// The simulated retransmission timer and its current (backed-off) interval.
        var dtlsTimer: Duration?
        var dtlsTimerInterval: Duration = .zero
        var dtlsTimerExpiries = 0
        var srtp: (outbound: SRTPSession, inbound: SRTPSession)?
        /// SRTP that arrived before this side's handshake finished (the peer keyed first).
        var earlyMedia: [(bytes: [UInt8], arrivedAt: Duration)] = []

        var mediaSendTimes: [Duration] = []
        var nextMediaTime: Duration?
        var arrivals: [Arrival] = []
        var unprotectFailures = 0

        init(name: String, ice: ICEAgentCore, address: TransportAddress, base: TransportAddress,
             dtls: DTLSTransport, ssrc: UInt32) {
            self.name = name
            self.ice = ice
            self.address = address
            self.base = base
            self.dtls = dtls
            self.ssrc = ssrc
        }

        var isKeyed: Bool { srtp != nil }
    }

    let settings: Settings
    let net: VirtualNetwork
    let a: Endpoint
    let b: Endpoint
    /// Datagrams put on the network per kind (STUN, DTLS, RTP), with the network's drops.
    private(set) var tally: [DatagramKind: Tally] = [:]
    /// Every DTLS datagram in send order: when, by whom, and whether the network dropped it.
    private(set) var dtlsLog: [(at: Duration, from: String, lost: Bool)] = []
    private(set) var stopReason: StopReason?
    private(set) var realTime: Duration = .zero
    /// Real time spent waiting for OpenSSL's real-clock timer behind simulated expiries.
    private(set) var realTimerWait: Duration = .zero
    /// ICE transmits whose addresses belong to neither endpoint (must stay 0).
    private(set) var unroutable = 0
    private var drainEnd: Duration?

    init(_ settings: Settings) throws {
        self.settings = settings
        net = VirtualNetwork(seed: settings.seed)
        guard let addressA = TransportAddress("10.0.0.1:5000"), let addressB = TransportAddress("10.0.0.2:5000"),
              let baseA = TransportAddress("10.0.0.1", port: 5000), let baseB = TransportAddress("10.0.0.2", port: 5000)
        else { throw DTLSError.setupFailed("bad test addresses") }
        net.setConditions(settings.link, between: addressA.ip, and: addressB.ip)

        var dtlsConfiguration = DTLSConfiguration()
        dtlsConfiguration.initialRetransmissionTimeout = settings.openSSLInitialTimer
        let certA = try DTLSCertificate.generate(), certB = try DTLSCertificate.generate()
        let dtlsA = try DTLSTransport(
            role: settings.controllingIsDTLSClient ? .client : .server, certificate: certA,
            remoteFingerprint: certB.fingerprint, configuration: dtlsConfiguration)
        let dtlsB = try DTLSTransport(
            role: settings.controllingIsDTLSClient ? .server : .client, certificate: certB,
            remoteFingerprint: certA.fingerprint, configuration: dtlsConfiguration)

        // Seeded ICE (credentials, tie-breakers, transaction IDs, consent jitter): with the
        // network's seed, the same run drops the same STUN and early DTLS datagrams.
        var random = SeededGenerator(seed: settings.seed &+ 1)
        let iceA = ICEAgentCore(role: .controlling, localCredentials: .generate(using: &random),
                                tieBreaker: random.next(), random: SeededGenerator(seed: settings.seed &+ 2))
        let iceB = ICEAgentCore(role: .controlled, localCredentials: .generate(using: &random),
                                tieBreaker: random.next(), random: SeededGenerator(seed: settings.seed &+ 3))
        a = Endpoint(name: "A", ice: iceA, address: addressA, base: baseA, dtls: dtlsA, ssrc: 0xA)
        b = Endpoint(name: "B", ice: iceB, address: addressB, base: baseB, dtls: dtlsB, ssrc: 0xB)
    }

    var endpoints: [Endpoint] { [a, b] }

    func peer(of e: Endpoint) -> Endpoint { e === a ? b : a }

    /// The RTP packet an endpoint sends with a given sequence number (160 bytes, like Opus).
    static func rtp(seq: UInt16, ssrc: UInt32) -> [UInt8] {
        [0x80, 111, UInt8(seq >> 8), UInt8(seq & 0xff), 0, 0, 0x03, 0xc0,
         UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xff), UInt8((ssrc >> 8) & 0xff), UInt8(ssrc & 0xff)]
            + [UInt8](repeating: UInt8(truncatingIfNeeded: seq), count: 160)
    }

    // MARK: - Running

    /// Signals (credentials and host candidates, as SDP would), then runs the bounded loop.
    func run() async throws {
        let clock = ContinuousClock()
        let realStart = clock.now
        defer { realTime = clock.now - realStart }

        let candidateA = a.ice.addHostCandidate(base: a.base, now: net.now)
        let candidateB = b.ice.addHostCandidate(base: b.base, now: net.now)
        for e in endpoints { e.ice.finishHostGathering() }
        a.ice.setRemoteCredentials(b.ice.localCredentials, now: net.now)
        b.ice.setRemoteCredentials(a.ice.localCredentials, now: net.now)
        a.ice.addRemoteCandidate(candidateB, now: net.now)
        b.ice.addRemoteCandidate(candidateA, now: net.now)
        for e in endpoints { e.ice.endOfRemoteCandidates(now: net.now) }

        while true {
            for e in endpoints { try flush(e) }
            if let end = drainEnd, net.now >= end { stopReason = .finished; return }
            guard net.now < settings.simulatedDeadline else { stopReason = .simulatedDeadline; return }
            guard clock.now - realStart < settings.realTimeLimit else { stopReason = .realTimeLimit; return }

            // Jump to the next delivery, or else to the earliest timer (never into the past).
            if case .delivery(let datagram) = net.nextEvent(until: nextWakeUp()) { try deliver(datagram) }
            for e in endpoints {
                if let deadline = e.ice.nextDeadline, deadline <= net.now { e.ice.handleTimeout(now: net.now) }
                if let timer = e.dtlsTimer, timer <= net.now { try await expireDTLSTimer(e) }
                if let next = e.nextMediaTime, next <= net.now { try sendMedia(e) }
            }
        }
    }

    /// The earliest simulated time anything is due: ICE timers, DTLS timers, media, the end
    /// of the drain, the deadline. Clamped to now, so a due timer runs without delay.
    private func nextWakeUp() -> Duration {
        var times = [settings.simulatedDeadline]
        if let drainEnd { times.append(drainEnd) }
        for e in endpoints {
            times += [e.ice.nextDeadline, e.dtlsTimer, e.nextMediaTime].compactMap { $0 }
        }
        return max(times.min() ?? settings.simulatedDeadline, net.now)
    }

    /// Hands a datagram to its endpoint's ICE core and handles what follows at once, so
    /// arrival times are the network's.
    private func deliver(_ datagram: Datagram) throws {
        guard let e = endpoints.first(where: { $0.address == datagram.destination }),
              let source = endpoints.first(where: { $0.address == datagram.source })
        else { return }
        e.ice.handleDatagram(datagram.payload, from: source.base, to: e.base, now: net.now)
        try flush(e)
    }

    /// Starts DTLS once ICE selected a pair, then sends what ICE and DTLS queued and
    /// handles ICE's events (DTLS and SRTP arrive as `applicationData`).
    private func flush(_ e: Endpoint) throws {
        if e.iceSelectedAt == nil, e.ice.selectedPair != nil {
            e.iceSelectedAt = net.now
            e.dtlsStartedAt = net.now
            try handle(e.dtls.start(), at: e)
        }
        while let transmit = e.ice.pollTransmit() { send(transmit) }
        while let event = e.ice.pollEvent() {
            guard case .applicationData(let bytes, let kind, _, _) = event else { continue }
            switch kind {
            case .dtls: try handle(try e.dtls.receive(bytes), at: e)
            case .rtp: receiveMedia(bytes, arrivedAt: net.now, at: e)
            default: continue
            }
        }
        try sendDTLS(e, restartingTimer: true)
    }

    // MARK: - DTLS

    private func handle(_ events: [DTLSEvent], at e: Endpoint) throws {
        for event in events {
            switch event {
            case .failed(let error): throw error
            case .connected:
                guard !e.isKeyed else { continue }
                e.dtlsConnectedAt = net.now
                e.dtlsTimer = nil
                e.srtp = try e.dtls.exportSRTPKeyingMaterial().makeSessions(isDTLSClient: e.dtls.role == .client)
                // Keyed: start sending media now, and open what the peer sent meanwhile.
                e.nextMediaTime = net.now
                for packet in e.earlyMedia { receiveMedia(packet.bytes, arrivedAt: packet.arrivedAt, at: e) }
                e.earlyMedia = []
            default: continue
            }
        }
    }

    /// Sends DTLS's queued datagrams on the selected pair (held until ICE selected one).
    /// A new flight (re)starts the simulated timer at its initial value; a retransmission
    /// by the timer backs it off instead (see `expireDTLSTimer`). A connected endpoint only
    /// answers the peer's retransmissions and runs no timer.
    private func sendDTLS(_ e: Endpoint, restartingTimer: Bool) throws {
        guard e.ice.selectedPair != nil else { return }
        let datagrams = e.dtls.takeOutgoingDatagrams()
        guard !datagrams.isEmpty else { return }
        for datagram in datagrams { send(try e.ice.send(datagram)) }
        if !e.isKeyed && restartingTimer {
            e.dtlsTimerInterval = settings.dtlsInitialTimer
            e.dtlsTimer = net.now + e.dtlsTimerInterval
        }
    }

    /// The simulated retransmission timer fired: wait out OpenSSL's real-clock timer (a few
    /// tens of milliseconds, at most a second), retransmit, back off (RFC 6347 §4.2.4.1).
    private func expireDTLSTimer(_ e: Endpoint) async throws {
        e.dtlsTimer = nil
        guard !e.isKeyed, let remaining = e.dtls.retransmissionTimeout else { return }
        let wait = min(remaining, .seconds(1))
        if wait > .zero {
            try await Task.sleep(for: wait)
            realTimerWait += wait
        }
        e.dtlsTimerExpiries += 1
        try handle(e.dtls.handleTimeout(), at: e)
        try sendDTLS(e, restartingTimer: false)
        e.dtlsTimerInterval = min(e.dtlsTimerInterval * 2, .seconds(60))
        e.dtlsTimer = net.now + e.dtlsTimerInterval
    }

    // MARK: - Media

    /// Sends the next SRTP packet of `e` and schedules the one after, `packetInterval` later.
    private func sendMedia(_ e: Endpoint) throws {
        guard let srtp = e.srtp, e.mediaSendTimes.count < settings.packetsEachWay else { e.nextMediaTime = nil; return }
        let seq = UInt16(truncatingIfNeeded: e.mediaSendTimes.count + 1)
        send(try e.ice.send(try srtp.outbound.protectRTP(Self.rtp(seq: seq, ssrc: e.ssrc))))
        e.mediaSendTimes.append(net.now)
        if e.mediaSendTimes.count < settings.packetsEachWay {
            e.nextMediaTime = net.now + settings.packetInterval
        } else {
            e.nextMediaTime = nil
            if endpoints.allSatisfy({ $0.mediaSendTimes.count == settings.packetsEachWay }) {
                drainEnd = net.now + settings.drainTime
            }
        }
    }

    /// Unprotects and parses one SRTP packet; buffers it while this side is not yet keyed.
    private func receiveMedia(_ bytes: [UInt8], arrivedAt: Duration, at e: Endpoint) {
        guard let inbound = e.srtp?.inbound else { e.earlyMedia.append((bytes, arrivedAt)); return }
        do {
            let packet = try inbound.unprotectRTP(bytes)
            let header = try RTPHeader.parse(packet)
            let intact = packet == Self.rtp(seq: header.sequenceNumber, ssrc: peer(of: e).ssrc)
            e.arrivals.append(Arrival(sequenceNumber: header.sequenceNumber, ssrc: header.ssrc,
                                      arrivedAt: arrivedAt, intact: intact))
        } catch {
            e.unprotectFailures += 1
        }
    }

    // MARK: - The wire

    /// Puts one datagram on the network and counts, per kind, whether the network dropped
    /// it (its loss counter for the link moved).
    private func send(_ transmit: ICETransmit) {
        guard let from = endpoints.first(where: { $0.base == transmit.source }),
              let to = endpoints.first(where: { $0.base == transmit.destination })
        else { unroutable += 1; return }
        let lossesBefore = net.statistics(from: from.address.ip, to: to.address.ip).lossCount
        net.send(transmit.payload, from: from.address, to: to.address)
        let lost = net.statistics(from: from.address.ip, to: to.address.ip).lossCount > lossesBefore
        let kind = DatagramKind(transmit.payload)
        tally[kind, default: Tally()].sent += 1
        if lost { tally[kind, default: Tally()].lost += 1 }
        if kind == .dtls { dtlsLog.append((net.now, from.name, lost)) }
    }
}
