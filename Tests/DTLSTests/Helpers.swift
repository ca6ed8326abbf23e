import DTLS
import Foundation
import SRTP

func makeTransport(
    _ role: DTLSRole, _ certificate: DTLSCertificate, expecting peer: DTLSFingerprint,
    profiles: [SRTPProtectionProfile] = SRTPProtectionProfile.allCases,
    initialTimeout: Duration = .seconds(1)
) throws -> DTLSTransport {
    var configuration = DTLSConfiguration()
    configuration.srtpProfiles = profiles
    configuration.initialRetransmissionTimeout = initialTimeout
    return try DTLSTransport(role: role, certificate: certificate, remoteFingerprint: peer, configuration: configuration)
}

/// Two transports joined by an in-memory "wire" that can drop datagrams.
final class MemoryLink {
    let a: DTLSTransport, b: DTLSTransport
    var eventsA: [DTLSEvent] = [], eventsB: [DTLSEvent] = []
    var largestDatagram = 0
    var datagramsCarried = 0

    init(_ a: DTLSTransport, _ b: DTLSTransport) { self.a = a; self.b = b }

    /// Moves datagrams both ways until neither side has anything to send.
    /// `dropFromA`/`dropFromB` see each datagram and return true to lose it.
    func pump(dropFromA: ([UInt8]) -> Bool = { _ in false }, dropFromB: ([UInt8]) -> Bool = { _ in false }) throws {
        for _ in 0..<64 {
            let fromA = a.takeOutgoingDatagrams(), fromB = b.takeOutgoingDatagrams()
            if fromA.isEmpty && fromB.isEmpty { return }
            for d in fromA {
                largestDatagram = max(largestDatagram, d.count)
                if dropFromA(d) { continue }
                datagramsCarried += 1
                eventsB += try b.receive(d)
            }
            for d in fromB {
                largestDatagram = max(largestDatagram, d.count)
                if dropFromB(d) { continue }
                datagramsCarried += 1
                eventsA += try a.receive(d)
            }
        }
    }
}

func rtpPacket(seq: UInt16, ssrc: UInt32, payloadSize: Int = 160) -> [UInt8] {
    [0x80, 111, UInt8(seq >> 8), UInt8(seq & 0xff), 0x00, 0x01, 0x02, 0x03,
     UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xff), UInt8((ssrc >> 8) & 0xff), UInt8(ssrc & 0xff)]
        + (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0 * 3 + Int(seq)) }
}

func rtcpReceiverReport(ssrc: UInt32) -> [UInt8] {
    [0x81, 201, 0x00, 0x07, UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xff), UInt8((ssrc >> 8) & 0xff), UInt8(ssrc & 0xff),
     0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 0, 0, 0, 0x10, 0x00, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0]
}

/// A UDP socket on 127.0.0.1 with an ephemeral port (plain Glibc, non-blocking reads via poll).
final class LoopbackUDPSocket {
    let fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EBADF) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { Glibc.close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        self.port = UInt16(bigEndian: address.sin_port)
    }

    deinit { Glibc.close(fd) }

    func send(_ datagram: [UInt8], toPort port: UInt16) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        _ = datagram.withUnsafeBytes { raw in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// Waits up to `timeoutMilliseconds` for one datagram; returns it and the sender's port.
    func receive(timeoutMilliseconds: Int32) -> (bytes: [UInt8], port: UInt16)? {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, timeoutMilliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 2048)
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let n = buffer.withUnsafeMutableBytes { raw in
            withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, raw.baseAddress, raw.count, 0, $0, &length) }
            }
        }
        guard n > 0 else { return nil }
        return (Array(buffer[0..<n]), UInt16(bigEndian: address.sin_port))
    }
}

extension DTLSTransport {
    /// The SRTP sessions of this endpoint's role, as the transport builds them once connected.
    func sessions() throws -> (outbound: SRTPSession, inbound: SRTPSession) {
        try exportSRTPKeyingMaterial().makeSessions(isDTLSClient: role == .client)
    }
}
