import DTLS
import Foundation
import SRTP
import Testing

/// A self-signed RSA certificate like GStreamer webrtcbin's default (2048 bits, SHA-256),
/// made with the openssl command (DTLSCertificate only generates ECDSA P-256), as PEM files
/// for s_server/s_client and as a DTLSCertificate.
struct RSACertificateFiles {
    let certificatePath: String, keyPath: String
    let certificate: DTLSCertificate
    let privateKeyDER: [UInt8]

    init(in directory: URL, name: String) throws {
        let openssl = OpenSSLClientInteropTests.openssl
        certificatePath = directory.appendingPathComponent("\(name).pem").path
        keyPath = directory.appendingPathComponent("\(name).key").path
        let certificateDER = directory.appendingPathComponent("\(name).cer").path
        let keyDER = directory.appendingPathComponent("\(name).key.der").path
        try run(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-sha256", "-nodes", "-keyout", keyPath,
                          "-out", certificatePath, "-subj", "/CN=\(name)", "-days", "1"])
        try run(openssl, ["x509", "-in", certificatePath, "-outform", "DER", "-out", certificateDER])
        try run(openssl, ["pkey", "-in", keyPath, "-outform", "DER", "-out", keyDER])
        privateKeyDER = Array(try Data(contentsOf: URL(fileURLWithPath: keyDER)))
        certificate = try DTLSCertificate(
            certificateDER: Array(try Data(contentsOf: URL(fileURLWithPath: certificateDER))), privateKeyDER: privateKeyDER)
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tincan-dtls-rsa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}

/// Peers whose DTLS certificate is RSA (webrtcbin, many gateways). As the
/// client (Tincan answering `active`) we must offer ECDHE-RSA suites; as the server we keep
/// our ECDSA certificate and accept a client's RSA one.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: OpenSSLClientInteropTests.openssl),
                             "run scripts/install-deps --tests (openssl)"))
struct RSACertificateTests {
    /// The offerer (DTLS server) has an RSA certificate, we are the client with our ECDSA one:
    /// before the fix the server answered handshake_failure (no shared cipher).
    @Test(arguments: [SRTPProtectionProfile.aeadAES128GCM, .aes128CMSHA1_80])
    func ourClientConnectsToAnRSAServer(_ profile: SRTPProtectionProfile) throws {
        let directory = try RSACertificateFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rsa = try RSACertificateFiles(in: directory, name: "offerer").certificate
        let ours = try DTLSCertificate.generate()
        let server = try makeTransport(.server, rsa, expecting: ours.fingerprint, profiles: [profile])
        let client = try makeTransport(.client, ours, expecting: rsa.fingerprint)
        let link = MemoryLink(client, server)
        link.eventsA += client.start()
        link.eventsB += server.start()
        try link.pump()
        #expect(link.eventsA == [.connected(profile)])
        #expect(link.eventsB == [.connected(profile)])
        #expect(client.dtlsCipher == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
        #expect(server.dtlsCipher == client.dtlsCipher)
        try expectMediaFlows(client, server)
    }

    /// We are the server with our ECDSA certificate, the client presents an RSA one.
    @Test func anRSAClientConnectsToOurServer() throws {
        let directory = try RSACertificateFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rsa = try RSACertificateFiles(in: directory, name: "answerer").certificate
        let ours = try DTLSCertificate.generate()
        let server = try makeTransport(.server, ours, expecting: rsa.fingerprint, profiles: [.aeadAES128GCM])
        let client = try makeTransport(.client, rsa, expecting: ours.fingerprint, profiles: [.aeadAES128GCM])
        let link = MemoryLink(client, server)
        link.eventsA += client.start()
        link.eventsB += server.start()
        try link.pump()
        #expect(link.eventsA == [.connected(.aeadAES128GCM)])
        #expect(link.eventsB == [.connected(.aeadAES128GCM)])
        #expect(server.dtlsCipher == "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")
        try expectMediaFlows(client, server)
    }

    /// An RSA certificate still has to match the SDP fingerprint.
    @Test func anRSAServerWithAnotherFingerprintIsRefused() throws {
        let directory = try RSACertificateFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rsa = try RSACertificateFiles(in: directory, name: "offerer").certificate
        let ours = try DTLSCertificate.generate(), announced = try DTLSCertificate.generate().fingerprint
        let server = try makeTransport(.server, rsa, expecting: ours.fingerprint)
        let client = try makeTransport(.client, ours, expecting: announced)
        let link = MemoryLink(client, server)
        link.eventsA += client.start()
        link.eventsB += server.start()
        try link.pump()
        #expect(link.eventsA == [.failed(.fingerprintMismatch(expected: announced, received: rsa.fingerprint))])
        #expect(throws: DTLSError.self) { try client.exportSRTPKeyingMaterial() }
    }

    /// A key that is not the certificate's is refused when the certificate is made.
    @Test func aForeignKeyIsRefused() throws {
        let directory = try RSACertificateFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let a = try RSACertificateFiles(in: directory, name: "a"), b = try RSACertificateFiles(in: directory, name: "b")
        #expect(throws: DTLSError.self) {
            try DTLSCertificate(certificateDER: a.certificate.certificateDER, privateKeyDER: b.privateKeyDER)
        }
        #expect(throws: DTLSError.self) { try DTLSCertificate(certificateDER: a.certificate.certificateDER, privateKeyDER: []) }
    }
}
