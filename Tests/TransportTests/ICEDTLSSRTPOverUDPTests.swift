import DTLS
import ICE
import NetworkPrimitives
import RTP
import SRTP
import Testing

/// Two endpoints in one test over real UDP on 127.0.0.1: ICE connects, DTLS handshakes on the
/// selected pair (one socket, RFC 7983 demultiplexing), and SRTP carries RTP both ways.
@Suite(.serialized) struct ICEDTLSSRTPOverUDPTests {
    static func configuration() -> ICEConfiguration {
        var c = ICEConfiguration.fastForTesting
        c.restrictToAddresses = [IPAddress("127.0.0.1")!]
        c.maximumRetransmissionTimeout = .milliseconds(500)
        c.maximumTransmissions = 7
        c.checkingTimeout = .seconds(8)
        return c
    }

    /// What signaling would carry: credentials and candidates, through their SDP text form.
    static func introduce(_ a: ICEAgent, _ b: ICEAgent) async throws {
        let ra = try await a.gather(), rb = try await b.gather()
        try await a.setRemoteCredentials(try await b.localCredentials)
        try await b.setRemoteCredentials(try await a.localCredentials)
        for c in rb.candidates { try await a.addRemoteCandidate(sdp: c.sdpLine) }
        for c in ra.candidates { try await b.addRemoteCandidate(sdp: c.sdpLine) }
        try await a.endOfRemoteCandidates()
        try await b.endOfRemoteCandidates()
    }

    static func rtp(seq: UInt16, ssrc: UInt32) -> [UInt8] {
        [0x80, 96, UInt8(seq >> 8), UInt8(seq & 0xff), 0, 0, 0x0b, 0xb8,
         UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xff), UInt8((ssrc >> 8) & 0xff), UInt8(ssrc & 0xff)]
            + [UInt8](repeating: UInt8(truncatingIfNeeded: seq), count: 900)
    }

    /// One endpoint: DTLS over the agent's selected pair, then send `count` SRTP packets and
    /// return the sequence numbers of the peer's packets it could unprotect and parse.
    static func endpoint(_ agent: ICEAgent, _ dtls: DTLSTransport, ssrc: UInt32, peerSSRC: UInt32, count: Int) async throws -> [UInt16] {
        var incoming = agent.datagrams.makeAsyncIterator()
        var early: [[UInt8]] = []
        _ = dtls.start()
        for out in dtls.takeOutgoingDatagrams() { try await agent.send(out) }
        handshake: while true {
            guard let datagram = await incoming.next() else { throw DTLSError.setupFailed("ICE closed during the handshake") }
            switch datagram.kind {
            case .rtp: early.append(datagram.payload)  // the peer finished first and is already sending
            case .dtls:
                let events = try dtls.receive(datagram.payload)
                for out in dtls.takeOutgoingDatagrams() { try await agent.send(out) }
                for event in events {
                    if case .failed(let error) = event { throw error }
                    if case .connected = event { break handshake }
                }
            default: continue
            }
        }
        let (outbound, inbound) = try dtls.exportSRTPKeyingMaterial().makeSessions(isDTLSClient: dtls.role == .client)
        for seq in UInt16(1)...UInt16(count) {
            try await agent.send(outbound.protectRTP(rtp(seq: seq, ssrc: ssrc)))
        }
        var received: [UInt16] = []
        func take(_ packet: [UInt8]) throws {
            let header = try RTPHeader.parse(try inbound.unprotectRTP(packet))
            #expect(header.ssrc == peerSSRC)
            received.append(header.sequenceNumber)
        }
        for packet in early { try take(packet) }
        while received.count < count, let datagram = await incoming.next() {
            if datagram.kind == .rtp { try take(datagram.payload) }
        }
        return received
    }

    @Test("ICE + DTLS + SRTP over UDP on loopback, both DTLS role assignments", arguments: [true, false])
    func callOverLoopback(controllingIsDTLSClient: Bool) async throws {
        let a = ICEAgent(role: .controlling, configuration: Self.configuration())
        let b = ICEAgent(role: .controlled, configuration: Self.configuration())
        try await Self.introduce(a, b)
        async let pairA = a.connect()
        async let pairB = b.connect()
        _ = try await (pairA, pairB)

        let certA = try DTLSCertificate.generate(), certB = try DTLSCertificate.generate()
        let dtlsA = try DTLSTransport(role: controllingIsDTLSClient ? .client : .server, certificate: certA,
                                      remoteFingerprint: certB.fingerprint)
        let dtlsB = try DTLSTransport(role: controllingIsDTLSClient ? .server : .client, certificate: certB,
                                      remoteFingerprint: certA.fingerprint)
        let count = 50
        let result = try await withThrowingTaskGroup(of: (Bool, [UInt16]).self) { group in
            group.addTask { (true, try await Self.endpoint(a, dtlsA, ssrc: 0xA, peerSSRC: 0xB, count: count)) }
            group.addTask { (false, try await Self.endpoint(b, dtlsB, ssrc: 0xB, peerSSRC: 0xA, count: count)) }
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                throw DTLSError.setupFailed("timed out after 10 s")
            }
            var got: [Bool: [UInt16]] = [:]
            while got.count < 2, let (isA, seqs) = try await group.next() { got[isA] = seqs }
            group.cancelAll()
            return got
        }
        #expect(result[true] == Array(1...UInt16(count)), "A received \(result[true] ?? [])")
        #expect(result[false] == Array(1...UInt16(count)), "B received \(result[false] ?? [])")
        try await a.close()
        try await b.close()
    }
}
