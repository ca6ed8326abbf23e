import DTLS
import ICE
import RTP
import SRTP
import Testing
import VirtualNetwork
#if canImport(Glibc)
import Glibc
#endif

/// The same call as over UDP, but on the in-process network with 5 % random loss and 100 ms
/// one-way delay each way, on its simulated clock: ICE (sans-I/O core) connects, DTLS
/// handshakes despite lost flights, SRTP carries RTP both ways, and every packet that arrives
/// unprotects. (OpenSSL 3.0 reads its DTLS retransmission timer from the system clock, so a
/// lost flight is retransmitted after a short real sleep while the simulated clock stands
/// still; see `DTLSTransport.handleTimeout`.)
@Suite struct ICEDTLSSRTPOverVirtualNetworkTests {
    /// One endpoint: its ICE core, its DTLS transport and, once keyed, its SRTP sessions.
    final class Endpoint {
        var ice: ICEAgentCore
        let address: NetworkAddress
        let dtls: DTLSTransport
        var srtp: (outbound: SRTPSession, inbound: SRTPSession)?
        var dtlsStarted = false
        var received: [UInt16] = []
        var unprotectFailures = 0
        var earlyMedia: [[UInt8]] = []

        init(role: ICERole, address: NetworkAddress, dtls: DTLSTransport) {
            ice = ICEAgentCore(role: role)
            self.address = address
            self.dtls = dtls
        }
    }

    static func transportAddress(_ a: NetworkAddress) -> TransportAddress? {
        TransportAddress(a.ip.description, port: a.port)
    }

    static func networkAddress(_ a: TransportAddress) -> NetworkAddress? {
        NetworkAddress("\(a.ip):\(a.port)")
    }

    static func rtp(seq: UInt16, ssrc: UInt32) -> [UInt8] {
        [0x80, 111, UInt8(seq >> 8), UInt8(seq & 0xff), 0, 0, 0x03, 0xc0,
         UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xff), UInt8((ssrc >> 8) & 0xff), UInt8(ssrc & 0xff)]
            + [UInt8](repeating: UInt8(truncatingIfNeeded: seq), count: 160)
    }

    @Test("ICE + DTLS + SRTP over the virtual network: 5 % loss, 100 ms delay, both DTLS roles", arguments: [true, false])
    func callOverLossyNetwork(controllingIsDTLSClient: Bool) throws {
        let net = VirtualNetwork(seed: controllingIsDTLSClient ? 7 : 8)
        guard let addressA = NetworkAddress("10.0.0.1:5000"), let addressB = NetworkAddress("10.0.0.2:5000") else {
            Issue.record("bad test addresses"); return
        }
        net.setConditions(LinkConditions(delay: .milliseconds(100), lossRate: 0.05), between: addressA.ip, and: addressB.ip)

        var dtlsConfiguration = DTLSConfiguration()
        dtlsConfiguration.initialRetransmissionTimeout = .milliseconds(20)
        let certA = try DTLSCertificate.generate(), certB = try DTLSCertificate.generate()
        let a = Endpoint(role: .controlling, address: addressA, dtls: try DTLSTransport(
            role: controllingIsDTLSClient ? .client : .server, certificate: certA,
            remoteFingerprint: certB.fingerprint, configuration: dtlsConfiguration))
        let b = Endpoint(role: .controlled, address: addressB, dtls: try DTLSTransport(
            role: controllingIsDTLSClient ? .server : .client, certificate: certB,
            remoteFingerprint: certA.fingerprint, configuration: dtlsConfiguration))

        // Signaling: credentials and host candidates.
        let baseA = try #require(Self.transportAddress(addressA)), baseB = try #require(Self.transportAddress(addressB))
        let candidateA = a.ice.addHostCandidate(base: baseA, now: net.now)
        let candidateB = b.ice.addHostCandidate(base: baseB, now: net.now)
        a.ice.finishHostGathering(); b.ice.finishHostGathering()
        a.ice.setRemoteCredentials(b.ice.localCredentials, now: net.now)
        b.ice.setRemoteCredentials(a.ice.localCredentials, now: net.now)
        a.ice.addRemoteCandidate(candidateB, now: net.now)
        b.ice.addRemoteCandidate(candidateA, now: net.now)
        a.ice.endOfRemoteCandidates(now: net.now)
        b.ice.endOfRemoteCandidates(now: net.now)

        let endpoints = [a, b]
        func endpoint(at address: NetworkAddress) -> Endpoint? { endpoints.first { $0.address == address } }

        /// Sends what ICE and DTLS have queued; starts DTLS once ICE has a selected pair.
        func flush(_ e: Endpoint) throws {
            if !e.dtlsStarted, e.ice.selectedPair != nil { _ = e.dtls.start(); e.dtlsStarted = true }
            if e.dtlsStarted {
                for datagram in e.dtls.takeOutgoingDatagrams() {
                    let transmit = try e.ice.send(datagram)
                    if let to = Self.networkAddress(transmit.destination) { net.send(transmit.payload, from: e.address, to: to) }
                }
            }
            while let transmit = e.ice.pollTransmit() {
                guard let from = Self.networkAddress(transmit.source), let to = Self.networkAddress(transmit.destination) else { continue }
                net.send(transmit.payload, from: from, to: to)
            }
            while let event = e.ice.pollEvent() {
                if case .applicationData(let bytes, let kind, _, _) = event { try deliver(bytes, kind: kind, to: e) }
            }
        }

        func deliver(_ bytes: [UInt8], kind: DatagramKind, to e: Endpoint) throws {
            switch kind {
            case .dtls:
                for event in try e.dtls.receive(bytes) {
                    if case .failed(let error) = event { throw error }
                    if case .connected = event, e.srtp == nil {
                        e.srtp = try e.dtls.makeSRTPSessions()
                        for packet in e.earlyMedia { try deliver(packet, kind: .rtp, to: e) }
                        e.earlyMedia = []
                    }
                }
            case .rtp:
                guard let inbound = e.srtp?.inbound else { e.earlyMedia.append(bytes); return }
                do {
                    let header = try RTPHeader.parse(try inbound.unprotectRTP(bytes))
                    e.received.append(header.sequenceNumber)
                } catch {
                    e.unprotectFailures += 1
                }
            default: break
            }
        }

        // Run: connect, then 50 packets per second each way (20 ms, like Opus) for 10 s.
        let packets = 500
        var sent = 0
        var nextMediaTime: Duration?
        var lastDTLSProgress = net.now
        var realSleeps = 0
        while net.now < .seconds(60) {
            for e in endpoints { try flush(e) }
            let bothKeyed = a.srtp != nil && b.srtp != nil
            if bothKeyed, nextMediaTime == nil { nextMediaTime = net.now }
            if let t = nextMediaTime, net.now >= t, sent < packets {
                sent += 1
                for (e, ssrc) in [(a, UInt32(0xA)), (b, UInt32(0xB))] {
                    let transmit = try e.ice.send(try #require(e.srtp).outbound.protectRTP(Self.rtp(seq: UInt16(sent), ssrc: ssrc)))
                    if let to = Self.networkAddress(transmit.destination) { net.send(transmit.payload, from: e.address, to: to) }
                }
                nextMediaTime = t + .milliseconds(20)
            }
            if sent == packets, net.now > (nextMediaTime ?? .zero) + .milliseconds(500) { break }

            var deadline = [a.ice.nextDeadline, b.ice.nextDeadline, nextMediaTime].compactMap { $0 }.min() ?? net.now + .seconds(1)
            deadline = max(deadline, net.now)
            if let event = net.nextEvent(until: deadline) {
                if case .delivery(let datagram) = event, let e = endpoint(at: datagram.destination),
                   let from = Self.transportAddress(datagram.source), let to = Self.transportAddress(datagram.destination) {
                    e.ice.handleDatagram(datagram.payload, from: from, to: to, now: net.now)
                    if DatagramKind(datagram.payload) == .dtls { lastDTLSProgress = net.now }
                }
            } else {
                for e in endpoints { e.ice.handleTimeout(now: net.now) }
            }
            // A DTLS flight lost: nothing DTLS arrived for longer than a round trip. OpenSSL's
            // timer runs on the real clock, so wait it out for real and retransmit.
            if !bothKeyed, endpoints.allSatisfy({ $0.dtlsStarted }), net.now - lastDTLSProgress > .milliseconds(300) {
                for e in endpoints where e.srtp == nil || e.dtls.retransmissionTimeout != nil {
                    if let wait = e.dtls.retransmissionTimeout, wait > .zero {
                        try? awaitlessSleep(wait)
                        realSleeps += 1
                    }
                    _ = e.dtls.handleTimeout()
                }
                lastDTLSProgress = net.now
            }
        }

        #expect(a.srtp != nil && b.srtp != nil, "DTLS keyed both sides")
        #expect(sent == packets)
        for (name, e) in [("A", a), ("B", b)] {
            let fraction = Double(e.received.count) / Double(packets)
            #expect(fraction > 0.9 && fraction < 1, "\(name) received \(e.received.count) of \(packets) over a 5 % loss link")
            #expect(e.unprotectFailures == 0, "\(name): every packet that arrived unprotects")
            #expect(Set(e.received).count == e.received.count, "\(name): no duplicates accepted")
        }
        print("vnet call (controlling is DTLS \(controllingIsDTLSClient ? "client" : "server")): keyed at \(nextMediaTime.map { "\($0)" } ?? "never"), "
              + "A got \(a.received.count), B got \(b.received.count) of \(packets), real DTLS timer waits \(realSleeps)")
    }
}

/// Sleeps the calling thread (the test drives its loop synchronously).
private func awaitlessSleep(_ duration: Duration) throws {
    let (seconds, attoseconds) = duration.components
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    nanosleep(&request, nil)
}
