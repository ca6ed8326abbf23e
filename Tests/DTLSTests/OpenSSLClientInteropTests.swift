import DTLS
import Foundation
import SRTP
import Testing

/// Runs a command to completion and returns its standard output.
@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

func hexString(_ bytes: [UInt8]) -> String { bytes.map { String(format2: $0) }.joined() }

/// A peer nobody here wrote: `openssl s_client -dtls1_2 -use_srtp` against our server role
/// (the role Tincan takes when its actpass offer is answered `active`).
@Suite(.serialized) struct OpenSSLClientInteropTests {
    static let openssl = "/usr/bin/openssl"

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: openssl), "run scripts/install-deps --tests (openssl)"),
          arguments: [SRTPProtectionProfile.aeadAES128GCM, .aes128CMSHA1_80, .aeadAES256GCM])
    func opensslClientHandshakesWithOurServer(_ profile: SRTPProtectionProfile) throws {
        try runSClient(profile: profile, expectMismatch: false)
    }

    /// Our server expects another certificate than the one s_client presents: it refuses
    /// with bad_certificate, s_client sees the alert, and no SRTP key exists.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: openssl), "run scripts/install-deps --tests (openssl)"))
    func opensslClientWithWrongFingerprintIsRefused() throws {
        try runSClient(profile: .aeadAES128GCM, expectMismatch: true)
    }

    func runSClient(profile: SRTPProtectionProfile, expectMismatch: Bool) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tincan-dtls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certPath = directory.appendingPathComponent("client.pem").path
        let keyPath = directory.appendingPathComponent("client.key").path
        // s_client's own ECDSA certificate, and its fingerprint as an SDP would carry it.
        try run(Self.openssl, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                               "-nodes", "-keyout", keyPath, "-out", certPath, "-subj", "/CN=s_client", "-days", "1"])
        let fingerprintLine = try run(Self.openssl, ["x509", "-in", certPath, "-noout", "-fingerprint", "-sha256"])
        let hexPart = try #require(fingerprintLine.split(separator: "=").last).trimmingCharacters(in: .whitespacesAndNewlines)
        let clientFingerprint = try DTLSFingerprint(sdp: "sha-256 \(hexPart)")

        let expected = expectMismatch ? try DTLSCertificate.generate().fingerprint : clientFingerprint
        let server = try makeTransport(.server, DTLSCertificate.generate(), expecting: expected)
        _ = server.start()
        let socket = try LoopbackUDPSocket()
        let exportLength = SRTPKeyingMaterial.exportLength(for: profile)

        let client = Process()
        client.executableURL = URL(fileURLWithPath: Self.openssl)
        client.arguments = ["s_client", "-dtls1_2", "-connect", "127.0.0.1:\(socket.port)",
                            "-use_srtp", profile.openSSLName, "-cert", certPath, "-key", keyPath,
                            "-keymatexport", SRTPKeyingMaterial.exporterLabel, "-keymatexportlen", "\(exportLength)"]
        let output = Pipe()
        client.standardOutput = output
        client.standardError = output
        client.standardInput = FileHandle.nullDevice  // EOF after the handshake: s_client closes
        try client.run()
        defer {
            if client.isRunning { kill(client.processIdentifier, SIGKILL) }
            client.waitUntilExit()
        }

        let clock = ContinuousClock()
        let started = clock.now
        var peerPort: UInt16?
        var keys: SRTPKeyingMaterial?
        var events: [DTLSEvent] = []
        var handshakeTime: Duration?
        while clock.now - started < .seconds(10) {
            if let (bytes, port) = socket.receive(timeoutMilliseconds: 10) {
                peerPort = port
                for event in try server.receive(bytes) {
                    events.append(event)
                    if case .connected = event {
                        keys = try server.exportSRTPKeyingMaterial()
                        handshakeTime = clock.now - started
                    }
                }
            }
            if let timeout = server.retransmissionTimeout, timeout <= .zero { events += server.handleTimeout() }
            if let peerPort { for d in server.takeOutgoingDatagrams() { socket.send(d, toPort: peerPort) } }
            if events.contains(.closed) || (!client.isRunning && keys != nil) { break }
            if case .failed = server.state, !client.isRunning { break }
        }
        if client.isRunning { kill(client.processIdentifier, SIGTERM) }
        client.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)

        if expectMismatch {
            let refusal = DTLSError.fingerprintMismatch(expected: expected, received: clientFingerprint)
            #expect(events == [.failed(refusal)])
            #expect(keys == nil)
            #expect(throws: refusal) { try server.exportSRTPKeyingMaterial() }
            #expect(text.contains("alert bad certificate"))
            #expect(text.contains("SSL alert number 42"))  // bad_certificate (RFC 5246 §7.2)
            return
        }
        #expect(events.first == .connected(profile))
        #expect(events.contains(.closed), "s_client's close_notify")
        #expect(text.contains("SRTP Extension negotiated, profile=\(profile.openSSLName)"))
        #expect(text.contains("Protocol  : DTLSv1.2"))
        let keys_ = try #require(keys)
        #expect(keys_.profile == profile)
        // s_client prints the same exporter output: our keys are the peer's keys.
        let ours = hexString(keys_.clientMasterKey + keys_.serverMasterKey + keys_.clientMasterSalt + keys_.serverMasterSalt)
        #expect(text.uppercased().contains("KEYING MATERIAL: \(ours)"))
        print("s_client \(profile): handshake \(handshakeTime.map { "\($0)" } ?? "-")")
        if !text.contains("SRTP Extension negotiated") { print(text) }
    }
}

/// Our client role against `openssl s_server -dtls1_2 -use_srtp` (the role Tincan takes
/// when it answers an actpass offer with `active`), with an ECDSA and with an RSA server
/// certificate (webrtcbin's default is RSA: docs/interop.md).
@Suite(.serialized) struct OpenSSLServerInteropTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: OpenSSLClientInteropTests.openssl)),
          arguments: [SRTPProtectionProfile.aeadAES256GCM, .aes128CMSHA1_80], ["ec", "rsa"])
    func ourClientHandshakesWithOpenSSLServer(_ profile: SRTPProtectionProfile, _ keyType: String) throws {
        let openssl = OpenSSLClientInteropTests.openssl
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tincan-dtls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certPath = directory.appendingPathComponent("server.pem").path
        let keyPath = directory.appendingPathComponent("server.key").path
        let key = keyType == "rsa" ? ["rsa:2048"] : ["ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        try run(openssl, ["req", "-x509", "-newkey"] + key + [
            "-nodes", "-keyout", keyPath, "-out", certPath, "-subj", "/CN=s_server", "-days", "1"])
        let fingerprintLine = try run(openssl, ["x509", "-in", certPath, "-noout", "-fingerprint", "-sha256"])
        let hexPart = try #require(fingerprintLine.split(separator: "=").last).trimmingCharacters(in: .whitespacesAndNewlines)
        let serverFingerprint = try DTLSFingerprint(sdp: "sha-256 \(hexPart)")

        // A free port for s_server: bind one, note it, release it.
        let port = try LoopbackUDPSocket().port
        let exportLength = SRTPKeyingMaterial.exportLength(for: profile)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: openssl)
        server.arguments = ["s_server", "-dtls1_2", "-accept", "127.0.0.1:\(port)", "-naccept", "1",
                            "-cert", certPath, "-key", keyPath, "-use_srtp", profile.openSSLName,
                            "-keymatexport", SRTPKeyingMaterial.exporterLabel, "-keymatexportlen", "\(exportLength)"]
        let output = Pipe(), input = Pipe()
        server.standardOutput = output
        server.standardError = output
        server.standardInput = input
        try server.run()
        defer {
            if server.isRunning { kill(server.processIdentifier, SIGKILL) }
            server.waitUntilExit()
        }

        // Our client retransmits (200 ms timer) until s_server is listening.
        let client = try makeTransport(.client, DTLSCertificate.generate(), expecting: serverFingerprint,
                                       initialTimeout: .milliseconds(200))
        let socket = try LoopbackUDPSocket()
        var events = client.start()
        let clock = ContinuousClock()
        let started = clock.now
        var keys: SRTPKeyingMaterial?
        var cipher: String?
        while clock.now - started < .seconds(10) {
            events += try turn(client, socket, peerPort: port, waitMilliseconds: 10)
            if keys == nil, case .connected = client.state {
                keys = try client.exportSRTPKeyingMaterial()
                cipher = client.dtlsCipher
                client.close()  // our close_notify: s_server reads it and ends the connection
            }
            if !server.isRunning { break }
            if case .failed = client.state { break }
        }
        if server.isRunning { kill(server.processIdentifier, SIGTERM) }
        server.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)

        #expect(events.first == .connected(profile))
        #expect(text.contains("SRTP Extension negotiated, profile=\(profile.openSSLName)"))
        #expect(cipher?.hasPrefix(keyType == "rsa" ? "TLS_ECDHE_RSA_" : "TLS_ECDHE_ECDSA_") == true,
                "cipher \(cipher ?? "none")")
        let k = try #require(keys)
        let ours = hexString(k.clientMasterKey + k.serverMasterKey + k.clientMasterSalt + k.serverMasterSalt)
        #expect(text.uppercased().contains("KEYING MATERIAL: \(ours)"))
        // s_server saw our close_notify: its stdin is still open, so it only says DONE and
        // exits (-naccept 1) because SSL_read reported the peer's close (SSL_ERROR_ZERO_RETURN).
        #expect(server.terminationReason == .exit)
        #expect(text.contains("DONE") && text.contains("CONNECTION CLOSED"))
        #expect(client.state == .closed)
        try? input.fileHandleForWriting.close()
        print("s_server \(profile) \(keyType): \(clock.now - started) until s_server exited")
    }
}
