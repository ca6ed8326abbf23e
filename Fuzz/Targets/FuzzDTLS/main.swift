// The datagram demultiplexer before OpenSSL (RFC 7983 §7) and DTLS records into a transport
// in each role: a server waiting for a ClientHello, and a client that has sent its own. The
// input is a sequence of datagrams (FuzzInput.datagrams).
import DTLS
import FuzzSupport
import ICE

let certificate: DTLSCertificate = {
    do { return try DTLSCertificate.generate() } catch { fatalError("certificate: \(error)") }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let datagrams = FuzzInput.datagrams(UnsafeBufferPointer(start: data, count: size), limit: 16)
    guard let server = try? DTLSTransport(role: .server, certificate: certificate, remoteFingerprint: certificate.fingerprint),
          let client = try? DTLSTransport(role: .client, certificate: certificate, remoteFingerprint: certificate.fingerprint)
    else { fatalError("DTLSTransport setup") }
    _ = server.start()
    _ = client.start()
    for datagram in datagrams {
        let kind = DatagramKind(datagram)
        for transport in [server, client] {
            do {
                _ = try transport.receive(datagram)
                FuzzInput.require(kind == .dtls, "DTLSTransport took a datagram RFC 7983 says is \(kind)")
            } catch {
                FuzzInput.require(error == .notDTLS && kind != .dtls, "a DTLS datagram refused as \(error)")
            }
            _ = transport.takeOutgoingDatagrams()
            _ = transport.handleTimeout()
        }
    }
    _ = try? server.exportSRTPKeyingMaterial()
    server.close()
    client.close()
    return 0
}
