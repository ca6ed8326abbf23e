import DTLS
import Foundation
import SRTP
import Testing

/// One event loop turn for a transport on a socket: send what it has, read one datagram,
/// and fire its retransmission timer when due.
func turn(_ transport: DTLSTransport, _ socket: LoopbackUDPSocket, peerPort: UInt16, waitMilliseconds: Int32) throws -> [DTLSEvent] {
    for datagram in transport.takeOutgoingDatagrams() { socket.send(datagram, toPort: peerPort) }
    var events: [DTLSEvent] = []
    if let (bytes, _) = socket.receive(timeoutMilliseconds: waitMilliseconds) { events += try transport.receive(bytes) }
    if let timeout = transport.retransmissionTimeout, timeout <= .zero { events += transport.handleTimeout() }
    for datagram in transport.takeOutgoingDatagrams() { socket.send(datagram, toPort: peerPort) }
    return events
}

@Suite(.serialized) struct UDPHandshakeTests {
    /// Two transports on real UDP sockets on 127.0.0.1; then SRTP and SRTCP over the same
    /// sockets, both ways (RFC 7983 demultiplexing: RTP/RTCP start with 128...191).
    @Test(arguments: HandshakeCase.all)
    func handshakeAndMediaOverLoopbackUDP(_ c: HandshakeCase) throws {
        let certA = try DTLSCertificate.generate(), certB = try DTLSCertificate.generate()
        let a = try makeTransport(c.aIsClient ? .client : .server, certA, expecting: certB.fingerprint, profiles: [c.profile])
        let b = try makeTransport(c.aIsClient ? .server : .client, certB, expecting: certA.fingerprint, profiles: [c.profile])
        let socketA = try LoopbackUDPSocket(), socketB = try LoopbackUDPSocket()
        let clock = ContinuousClock()
        let started = clock.now
        _ = a.start(); _ = b.start()
        while clock.now - started < .seconds(5) {
            _ = try turn(a, socketA, peerPort: socketB.port, waitMilliseconds: 2)
            _ = try turn(b, socketB, peerPort: socketA.port, waitMilliseconds: 2)
            if a.state == .connected(c.profile) && b.state == .connected(c.profile) { break }
        }
        let elapsed = clock.now - started
        #expect(a.state == .connected(c.profile))
        #expect(b.state == .connected(c.profile))
        #expect(try a.exportSRTPKeyingMaterial() == b.exportSRTPKeyingMaterial())

        let (aOut, aIn) = try a.sessions(), (bOut, bIn) = try b.sessions()
        func carry(_ packet: [UInt8], from: LoopbackUDPSocket, to: LoopbackUDPSocket) throws -> [UInt8] {
            from.send(packet, toPort: to.port)
            let received = try #require(to.receive(timeoutMilliseconds: 1000)).bytes
            #expect((128...191).contains(received[0]))
            return received
        }
        for seq in UInt16(100)...110 {
            let rtpA = rtpPacket(seq: seq, ssrc: 0x1111), rtpB = rtpPacket(seq: seq, ssrc: 0x2222, payloadSize: 1000)
            #expect(try bIn.unprotectRTP(carry(aOut.protectRTP(rtpA), from: socketA, to: socketB)) == rtpA)
            #expect(try aIn.unprotectRTP(carry(bOut.protectRTP(rtpB), from: socketB, to: socketA)) == rtpB)
        }
        let rrA = rtcpReceiverReport(ssrc: 0x1111), rrB = rtcpReceiverReport(ssrc: 0x2222)
        #expect(try bIn.unprotectRTCP(carry(aOut.protectRTCP(rrA), from: socketA, to: socketB)) == rrA)
        #expect(try aIn.unprotectRTCP(carry(bOut.protectRTCP(rrB), from: socketB, to: socketA)) == rrB)
        print("UDP \(c.testDescription): handshake \(elapsed)")
    }
}
