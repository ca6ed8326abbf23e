import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Why coturn could not be used: the test that needs it fails with this, naming the step.
public struct CoturnError: Error, CustomStringConvertible {
    public var description: String
}

/// A coturn process, in STUN-only mode or as a TURN server with one long-term user;
/// everything it writes (its configuration too) goes to a temporary directory.
public final class CoturnServer: Sendable {
    let process: Process
    let directory: URL

    /// TURN on 127.0.0.1:`port` for `username`/`password` (realm tincan.test), relaying on
    /// 127.0.0.1 to loopback peers, from a configuration file of its own.
    /// `extra`: more configuration lines (e.g. `no-udp`: clients over TCP only). With `tls`,
    /// a self-signed certificate for localhost and 127.0.0.1 (`certificatePath`) and TLS on
    /// `tlsPort` (`port` + 201, past the relay ports).
    /// `listeningIP` (listening and relaying) and `launcher` (e.g. `ip netns exec NS`, which
    /// execs, so the PID is still turnserver's) put it elsewhere than loopback.
    public init(executable: String, turnPort port: UInt16, username: String, password: String, extra: [String] = [],
                tls: Bool = false, listeningIP: String = "127.0.0.1", launcher: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tincan-coturn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var extra = extra
        if tls {
            try Self.makeCertificate(in: directory)
            extra += ["tls-listening-port=\(port &+ 201)",
                      "cert=\(directory.appendingPathComponent("cert.pem").path)",
                      "pkey=\(directory.appendingPathComponent("key.pem").path)"]
        } else {
            extra.append("no-tls")
        }
        let config = """
            listening-ip=\(listeningIP)
            listening-port=\(port)
            relay-ip=\(listeningIP)
            min-port=\(port &+ 1)
            max-port=\(port &+ 200)
            lt-cred-mech
            user=\(username):\(password)
            realm=tincan.test
            allow-loopback-peers
            no-tcp-relay
            no-dtls
            no-cli
            fingerprint
            pidfile=\(directory.appendingPathComponent("turnserver.pid").path)
            userdb=\(directory.appendingPathComponent("turndb").path)
            log-file=\(directory.appendingPathComponent("turnserver.log").path)
            simple-log
            no-stdout-log
            """ + extra.map { "\n" + $0 }.joined()
        let configFile = directory.appendingPathComponent("turnserver.conf")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: launcher.first ?? executable)
        process.arguments = launcher.dropFirst() + (launcher.isEmpty ? [] : [executable]) + ["-c", configFile.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// The self-signed certificate a TLS server presents (PEM).
    public var certificatePath: String { directory.appendingPathComponent("cert.pem").path }

    /// A P-256 key and a one-day self-signed certificate for localhost and 127.0.0.1.
    static func makeCertificate(in directory: URL) throws {
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-keyout", directory.appendingPathComponent("key.pem").path, "-out", directory.appendingPathComponent("cert.pem").path,
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw CoturnError(description: "openssl could not make a test certificate") }
    }

    /// Waits (up to `limit`) until the server accepts TCP connections on 127.0.0.1:`port`: a
    /// TCP client fails at once on a refused connection, where UDP retransmits.
    /// (coturn takes seconds to start on a loaded machine: it opens its database first.)
    public func waitForTCP(port: UInt16, limit: Duration = .seconds(20)) async throws {
        let clock = ContinuousClock()
        let end = clock.now + limit
        while clock.now < end {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if result == 0 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CoturnError(description: "coturn does not accept TCP on 127.0.0.1:\(port) after \(limit): \(log)")
    }

    /// The server's log so far (for a failing test's message).
    public var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("turnserver.log"), encoding: .utf8)) ?? ""
    }

    public init(executable: String, port: UInt16) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tincan-coturn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "-n", "--stun-only", "--no-cli", "--no-tls", "--no-dtls",
            "--listening-ip", "127.0.0.1", "--listening-port", String(port),
            "--pidfile", directory.appendingPathComponent("turnserver.pid").path,
            "--userdb", directory.appendingPathComponent("turndb").path,
            "--log-file", directory.appendingPathComponent("turnserver.log").path,
            "--no-stdout-log", "--simple-log",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Kills the server by its PID (SIGTERM, then SIGKILL: turnserver may take its time to
    /// exit on SIGTERM) and removes its directory.
    public func stop() {
        let pid = process.processIdentifier
        if process.isRunning {
            kill(pid, SIGTERM)
            for _ in 0..<20 where process.isRunning { usleep(25_000) }
            if process.isRunning { kill(pid, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The turnserver path. The test setup installs Debian's coturn (scripts/install-deps
    /// --tests, run by scripts/test); without it the test fails, naming the step to run.
    public static func installed() throws -> String {
        let path = "/usr/bin/turnserver"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw CoturnError(description: "coturn is not installed (no \(path)): run scripts/install-deps --tests")
        }
        return path
    }

    /// A port that was free for UDP and TCP a moment ago on 127.0.0.1, below 65000 (the relay
    /// ports follow it).
    public static func freeUDPPort() async throws -> UInt16 {
        // Free for TCP too (coturn listens on both), and low enough for the relay ports after it.
        for _ in 0..<20 {
            let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: 0).get()
            let port = channel.localAddress?.port ?? 0
            try await channel.close()
            guard port > 0, port < 65000 else { continue }
            do {
                let tcp = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .bind(host: "127.0.0.1", port: port).get()
                try await tcp.close()
            } catch {
                continue
            }
            return UInt16(port)
        }
        throw CoturnError(description: "no free port")
    }
}
