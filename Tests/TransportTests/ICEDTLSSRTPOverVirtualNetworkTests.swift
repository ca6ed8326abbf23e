import ICE
import Testing
import VirtualNetwork

/// The same call as over UDP (`ICEDTLSSRTPOverUDPTests`), but on the in-process network with
/// 5 % random loss and 100 ms one-way delay each way, on its simulated clock: ICE connects,
/// DTLS handshakes although the network drops some of its datagrams, SRTP carries 250 RTP
/// packets each way at 20 ms intervals, and every packet that arrives unprotects intact.
/// `SimulatedCall` drives the loop and says why DTLS needs a simulated timer of its own.
@Suite struct ICEDTLSSRTPOverVirtualNetworkTests {
    static let oneWayDelay = Duration.milliseconds(100)
    static let roundTrip = oneWayDelay * 2

    /// A seed with which the network drops the first DTLS datagram of one side in both role
    /// assignments (ClientHello or the server's first flight, which OpenSSL packs into one
    /// datagram each). Nothing that depends on real time precedes those datagrams on their
    /// link, so the drop happens on every run: the handshake really meets a lost flight.
    static let seed: UInt64 = 5

    @Test("ICE + DTLS + SRTP over the virtual network: 5 % loss, 100 ms delay, both DTLS roles",
          arguments: [true, false])
    func callOverLossyNetwork(controllingIsDTLSClient: Bool) async throws {
        let seed = Self.seed
        let call = try SimulatedCall(SimulatedCall.Settings(
            seed: seed, controllingIsDTLSClient: controllingIsDTLSClient,
            link: LinkConditions(delay: Self.oneWayDelay, lossRate: 0.05)))
        try await call.run()

        // Bounded: the media was sent and drained, not cut short by a deadline.
        #expect(call.stopReason == .finished, "the loop stopped: \(String(describing: call.stopReason))")
        #expect(call.unroutable == 0)
        #expect(call.realTime < .seconds(10), "the simulated call took \(call.realTime) of real time")

        // ICE: the controlling side selects after its check and its nominating check have
        // each made a round trip; the controlled side after its own check made one.
        let a = call.a, b = call.b
        let selectedA = try #require(a.iceSelectedAt, "A's ICE selected a pair")
        let selectedB = try #require(b.iceSelectedAt, "B's ICE selected a pair")
        #expect(selectedA >= Self.roundTrip * 2)
        #expect(selectedB >= Self.roundTrip)
        #expect(a.ice.state == .connected && b.ice.state == .connected)

        // DTLS: both keyed, although a first flight was lost. The client needs two round
        // trips (ClientHello / server flight, client flight / Finished) from its start to
        // its Finished, plus at least one retransmission timeout for the lost flight.
        let client = controllingIsDTLSClient ? a : b
        let clientStart = try #require(client.dtlsStartedAt)
        let clientDone = try #require(client.dtlsConnectedAt, "the DTLS client completed its handshake")
        let serverDone = try #require((controllingIsDTLSClient ? b : a).dtlsConnectedAt, "the DTLS server completed")
        let firstFlights = [a, b].compactMap { e in call.dtlsLog.first { $0.from == e.name } }
        #expect(firstFlights.contains { $0.lost }, "no first DTLS flight was dropped: DTLS log \(call.dtlsLog)")
        #expect(a.dtlsTimerExpiries + b.dtlsTimerExpiries >= 1, "a DTLS retransmission timer fired")
        #expect(clientDone - clientStart >= Self.roundTrip * 2 + call.settings.dtlsInitialTimer)
        let handshakeLost = call.dtlsLog.filter { $0.lost && $0.at <= max(clientDone, serverDone) }.count

        // SRTP both ways: sent at a 20 ms pace, most but not all arrived (5 % loss), every
        // arrival unprotected to exactly what was sent, once, 100 ms after it was sent.
        let packets = call.settings.packetsEachWay
        for (sender, receiver) in [(a, b), (b, a)] {
            let direction = "\(sender.name)->\(receiver.name)"
            #expect(sender.mediaSendTimes.count == packets, "\(direction) sent \(sender.mediaSendTimes.count)")
            #expect(zip(sender.mediaSendTimes, sender.mediaSendTimes.dropFirst()).allSatisfy {
                $1 - $0 == call.settings.packetInterval
            }, "\(direction) paced at 20 ms")
            let received = receiver.arrivals.count
            #expect(received >= packets * 85 / 100 && received < packets,
                    "\(direction): \(received) of \(packets) arrived over a 5 % loss link")
            #expect(receiver.unprotectFailures == 0, "\(direction): every arrival unprotects")
            #expect(receiver.arrivals.allSatisfy { $0.intact && $0.ssrc == sender.ssrc }, "\(direction): payloads intact")
            let sequenceNumbers = receiver.arrivals.map(\.sequenceNumber)
            #expect(Set(sequenceNumbers).count == received, "\(direction): no packet accepted twice")
            let delays = receiver.arrivals.compactMap { arrival -> Duration? in
                let index = Int(arrival.sequenceNumber) - 1
                guard sender.mediaSendTimes.indices.contains(index) else { return nil }
                return arrival.arrivedAt - sender.mediaSendTimes[index]
            }
            #expect(delays.count == received && delays.allSatisfy { $0 == Self.oneWayDelay },
                    "\(direction): one-way delays \(Set(delays))")
        }

        let dtls = call.tally[.dtls] ?? SimulatedCall.Tally(), rtp = call.tally[.rtp] ?? SimulatedCall.Tally()
        let stun = call.tally[.stun] ?? SimulatedCall.Tally()
        print("""
            vnet call seed \(seed), controlling is DTLS \(controllingIsDTLSClient ? "client" : "server"): \
            ICE selected A \(selectedA) B \(selectedB); DTLS client \(clientStart) -> \(clientDone) \
            (\(clientDone - clientStart)), server done \(serverDone); DTLS datagrams \(dtls.sent) sent, \
            \(dtls.lost) lost (\(handshakeLost) in the handshake), timer expiries A \(a.dtlsTimerExpiries) \
            B \(b.dtlsTimerExpiries), real timer wait \(call.realTimerWait); STUN \(stun.sent) sent \(stun.lost) lost; \
            RTP \(rtp.sent) sent \(rtp.lost) lost: B got \(b.arrivals.count)/\(packets), A got \(a.arrivals.count)/\(packets); \
            ended at \(call.net.now) simulated, \(call.realTime) real
            """)
    }
}
