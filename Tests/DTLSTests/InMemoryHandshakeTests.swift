import DTLS
import Foundation
import SRTP
import Testing

struct HandshakeCase: Sendable, CustomTestStringConvertible {
    let profile: SRTPProtectionProfile
    let aIsClient: Bool
    var testDescription: String { "\(profile) A=\(aIsClient ? "client" : "server")" }
    static let all: [HandshakeCase] = SRTPProtectionProfile.allCases.flatMap { p in
        [HandshakeCase(profile: p, aIsClient: true), HandshakeCase(profile: p, aIsClient: false)]
    }
}

/// Checks that SRTP and SRTCP cross between two connected transports, both ways.
func expectMediaFlows(_ a: DTLSTransport, _ b: DTLSTransport, carry: ([UInt8]) throws -> [UInt8] = { $0 }) throws {
    let (aOut, aIn) = try a.sessions()
    let (bOut, bIn) = try b.sessions()
    for seq in UInt16(1)...5 {
        let fromA = rtpPacket(seq: seq, ssrc: 0xAAAA_0001)
        #expect(try bIn.unprotectRTP(carry(aOut.protectRTP(fromA))) == fromA)
        let fromB = rtpPacket(seq: seq, ssrc: 0xBBBB_0002)
        #expect(try aIn.unprotectRTP(carry(bOut.protectRTP(fromB))) == fromB)
    }
    let rrA = rtcpReceiverReport(ssrc: 0xAAAA_0001), rrB = rtcpReceiverReport(ssrc: 0xBBBB_0002)
    #expect(try bIn.unprotectRTCP(carry(aOut.protectRTCP(rrA))) == rrA)
    #expect(try aIn.unprotectRTCP(carry(bOut.protectRTCP(rrB))) == rrB)
    // A replayed packet is refused; a tampered one fails authentication.
    let once = try carry(aOut.protectRTP(rtpPacket(seq: 50, ssrc: 0xAAAA_0001)))
    _ = try bIn.unprotectRTP(once)
    #expect(throws: SRTPError.replay) { try bIn.unprotectRTP(once) }
    var tampered = try carry(aOut.protectRTP(rtpPacket(seq: 51, ssrc: 0xAAAA_0001)))
    tampered[tampered.count - 1] ^= 0x40
    #expect(throws: SRTPError.authenticationFailed) { try bIn.unprotectRTP(tampered) }
    // A side cannot open its own packets: the two directions use different keys.
    #expect(throws: SRTPError.authenticationFailed) { try aIn.unprotectRTP(aOut.protectRTP(rtpPacket(seq: 99, ssrc: 1))) }
}

@Suite struct InMemoryHandshakeTests {
    @Test(arguments: HandshakeCase.all)
    func handshakeNegotiatesProfileAndCarriesSRTP(_ c: HandshakeCase) throws {
        let certA = try DTLSCertificate.generate(), certB = try DTLSCertificate.generate()
        let a = try makeTransport(c.aIsClient ? .client : .server, certA, expecting: certB.fingerprint, profiles: [c.profile])
        let b = try makeTransport(c.aIsClient ? .server : .client, certB, expecting: certA.fingerprint, profiles: [c.profile])
        let link = MemoryLink(a, b)
        link.eventsA += a.start()
        link.eventsB += b.start()
        try link.pump()
        #expect(link.eventsA == [.connected(c.profile)])
        #expect(link.eventsB == [.connected(c.profile)])
        #expect(a.state == .connected(c.profile) && b.state == .connected(c.profile))
        #expect(link.largestDatagram <= 1200)
        // Both ends export the same RFC 5764 material.
        let keysA = try a.exportSRTPKeyingMaterial(), keysB = try b.exportSRTPKeyingMaterial()
        #expect(keysA == keysB)
        #expect(keysA.clientMasterKey != keysA.serverMasterKey)
        #expect(keysA.clientMasterKey.count == c.profile.masterKeyLength)
        try expectMediaFlows(a, b)
    }

    /// With a small MTU the certificate flights are fragmented and no datagram exceeds it;
    /// with the default, nothing exceeds 1200.
    @Test(arguments: [300, 1200])
    func datagramsRespectTheMTU(_ mtu: Int) throws {
        let certA = try DTLSCertificate.generate(), certB = try DTLSCertificate.generate()
        var configuration = DTLSConfiguration()
        if mtu != 1200 { configuration.mtu = mtu }
        let client = try DTLSTransport(role: .client, certificate: certA, remoteFingerprint: certB.fingerprint, configuration: configuration)
        let server = try DTLSTransport(role: .server, certificate: certB, remoteFingerprint: certA.fingerprint, configuration: configuration)
        let link = MemoryLink(client, server)
        _ = client.start()
        try link.pump()
        #expect(client.state == .connected(.aeadAES256GCM) && server.state == .connected(.aeadAES256GCM))
        #expect(link.largestDatagram <= mtu)
        print("MTU \(mtu): \(link.datagramsCarried) datagrams, largest \(link.largestDatagram) bytes")
        if mtu == 300 { #expect(link.datagramsCarried > 6) }
    }

    /// RFC 6347 §4.2.4.1: the first retransmission timer is 1 s unless configured.
    @Test func defaultRetransmissionTimerIsOneSecond() throws {
        let cert = try DTLSCertificate.generate()
        let client = try makeTransport(.client, cert, expecting: cert.fingerprint)
        #expect(client.retransmissionTimeout == nil)
        _ = client.start()
        let timeout = try #require(client.retransmissionTimeout)
        #expect(timeout > .milliseconds(900) && timeout <= .seconds(1))
    }

    @Test func defaultPreferenceIsAES256GCM() throws {
        let certA = try DTLSCertificate.generate(), certB = try DTLSCertificate.generate()
        let client = try makeTransport(.client, certA, expecting: certB.fingerprint,
                                       profiles: [.aes128CMSHA1_80, .aeadAES128GCM, .aeadAES256GCM])
        let server = try makeTransport(.server, certB, expecting: certA.fingerprint)
        let link = MemoryLink(client, server)
        _ = client.start()
        try link.pump()
        #expect(server.state == .connected(.aeadAES256GCM))  // the server's order decides
        #expect(client.state == .connected(.aeadAES256GCM))
    }

    @Test func noCommonProfileFails() throws {
        let certA = try DTLSCertificate.generate(), certB = try DTLSCertificate.generate()
        let client = try makeTransport(.client, certA, expecting: certB.fingerprint, profiles: [.aes128CMSHA1_80])
        let server = try makeTransport(.server, certB, expecting: certA.fingerprint, profiles: [.aeadAES128GCM])
        let link = MemoryLink(client, server)
        _ = client.start()
        try link.pump()
        #expect(client.state != .connected(.aes128CMSHA1_80))
        #expect(throws: DTLSError.self) { try client.exportSRTPKeyingMaterial() }
        #expect(throws: DTLSError.self) { try server.exportSRTPKeyingMaterial() }
    }

    /// Whichever side sees the wrong certificate aborts: no keys on either side.
    @Test(arguments: [true, false])
    func fingerprintMismatchIsRefused(clientChecksWrongFingerprint: Bool) throws {
        let certA = try DTLSCertificate.generate(), certB = try DTLSCertificate.generate()
        let stranger = try DTLSCertificate.generate().fingerprint
        let client = try makeTransport(.client, certA, expecting: clientChecksWrongFingerprint ? stranger : certB.fingerprint)
        let server = try makeTransport(.server, certB, expecting: clientChecksWrongFingerprint ? certA.fingerprint : stranger)
        let link = MemoryLink(client, server)
        link.eventsA += client.start()
        try link.pump()
        let checker = clientChecksWrongFingerprint ? client : server
        let expected = DTLSError.fingerprintMismatch(
            expected: stranger, received: clientChecksWrongFingerprint ? certB.fingerprint : certA.fingerprint)
        #expect(checker.state == .failed(expected))
        #expect((clientChecksWrongFingerprint ? link.eventsA : link.eventsB).contains(.failed(expected)))
        #expect(throws: expected) { try checker.exportSRTPKeyingMaterial() }
        #expect(throws: DTLSError.self) { try checker.exportSRTPKeyingMaterial() }
        // The other side never completes either: it got a bad_certificate alert.
        let other = clientChecksWrongFingerprint ? server : client
        if case .connected = other.state { Issue.record("peer of a refused handshake connected") }
        #expect(throws: DTLSError.self) { try other.exportSRTPKeyingMaterial() }
        #expect(other.state == .failed(.handshakeFailed("error:0A000412:SSL routines::sslv3 alert bad certificate")))
        print("fingerprint mismatch:", checker.state, "| peer:", other.state)
    }

    /// Drop a whole first flight, let the timer run out, and the handshake still completes.
    @Test(arguments: ["client flight 1", "server flight 2"])
    func handshakeSurvivesALostFlight(_ lost: String) async throws {
        let certA = try DTLSCertificate.generate(), certB = try DTLSCertificate.generate()
        let client = try makeTransport(.client, certA, expecting: certB.fingerprint, initialTimeout: .milliseconds(40))
        let server = try makeTransport(.server, certB, expecting: certA.fingerprint, initialTimeout: .milliseconds(40))
        let link = MemoryLink(client, server)
        let clock = ContinuousClock()
        let started = clock.now
        _ = client.start()
        _ = server.start()
        var dropped = 0
        if lost == "client flight 1" {
            try link.pump(dropFromA: { _ in dropped += 1; return true })
        } else {
            try link.pump(dropFromB: { _ in dropped += 1; return true })
        }
        #expect(dropped >= 1)
        #expect(client.state == .connecting && server.state == .connecting)
        let timeout = try #require(client.retransmissionTimeout)
        #expect(timeout <= .milliseconds(40))
        // Before the timer expires, handleTimeout sends nothing.
        if timeout > .milliseconds(10) {
            _ = client.handleTimeout()
            #expect(client.takeOutgoingDatagrams().isEmpty)
        }
        try await Task.sleep(for: timeout + .milliseconds(5))
        link.eventsA += client.handleTimeout()
        link.eventsB += server.handleTimeout()
        try link.pump()
        #expect(client.state == .connected(.aeadAES256GCM))
        #expect(server.state == .connected(.aeadAES256GCM))
        try expectMediaFlows(client, server)
        print("lost \(lost) (\(dropped) datagrams): connected after \(clock.now - started)")
    }

    @Test func applicationDataAndCloseNotify() throws {
        let certA = try DTLSCertificate.generate(), certB = try DTLSCertificate.generate()
        let client = try makeTransport(.client, certA, expecting: certB.fingerprint)
        let server = try makeTransport(.server, certB, expecting: certA.fingerprint)
        let link = MemoryLink(client, server)
        #expect(throws: DTLSError.notConnected) { try client.send(applicationData: [1]) }
        _ = client.start()
        try link.pump()
        link.eventsA = []; link.eventsB = []
        try client.send(applicationData: Array("hello sctp".utf8))
        try server.send(applicationData: [9, 8, 7])
        try link.pump()
        #expect(link.eventsB == [.applicationData(Array("hello sctp".utf8))])
        #expect(link.eventsA == [.applicationData([9, 8, 7])])
        client.close()
        let closeNotify = client.takeOutgoingDatagrams()
        #expect(closeNotify.count == 1 && closeNotify.first?.first == 21)  // an alert record
        for d in closeNotify { link.eventsB += try server.receive(d) }
        #expect(link.eventsB.last == .closed)
        #expect(server.state == .closed && client.state == .closed)
        #expect(throws: DTLSError.notConnected) { try server.exportSRTPKeyingMaterial() }
    }

    @Test func rejectsNonDTLSDatagrams() throws {
        let cert = try DTLSCertificate.generate()
        let server = try makeTransport(.server, cert, expecting: cert.fingerprint)
        #expect(throws: DTLSError.notDTLS) { try server.receive([]) }
        #expect(throws: DTLSError.notDTLS) { try server.receive([0x80, 0, 0, 0]) }  // RTP
        #expect(throws: DTLSError.notDTLS) { try server.receive([0x00, 0x01, 0, 0]) }  // STUN
        // Garbage that looks like a DTLS record is dropped by OpenSSL, not trapped on.
        _ = try server.receive([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3])
        _ = try server.receive([UInt8](repeating: 23, count: 100))
        #expect(server.state == .connecting || { if case .failed = server.state { return true }; return false }())
    }

    /// Random records (valid DTLS first byte, garbage after) into a handshaking server and a
    /// connected pair: no trap, and a connected transport stays usable or fails cleanly.
    @Test func garbageRecordsNeverTrap() throws {
        var generator = SystemRandomNumberGenerator()
        func garbage() -> [UInt8] {
            let length = Int.random(in: 1...300, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes[0] = UInt8.random(in: 20...63, using: &generator)
            if bytes.count > 3, Bool.random(using: &generator) { bytes[1] = 0xfe; bytes[2] = 0xfd }
            return bytes
        }
        let certA = try DTLSCertificate.generate(), certB = try DTLSCertificate.generate()
        let lonely = try makeTransport(.server, certB, expecting: certA.fingerprint)
        for _ in 0..<500 { _ = try lonely.receive(garbage()) }
        let client = try makeTransport(.client, certA, expecting: certB.fingerprint)
        let server = try makeTransport(.server, certB, expecting: certA.fingerprint)
        let link = MemoryLink(client, server)
        _ = client.start()
        try link.pump()
        for _ in 0..<500 { _ = try server.receive(garbage()) }
        switch server.state {
        case .connected:
            try expectMediaFlows(client, server)
        case .failed:
            #expect(throws: DTLSError.self) { try server.exportSRTPKeyingMaterial() }
        default:
            Issue.record("unexpected state \(server.state)")
        }
    }
}
