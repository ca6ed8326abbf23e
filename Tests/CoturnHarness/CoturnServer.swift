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
    public init(executable: String, turnPort port: UInt16, username: String, password: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tincan-coturn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = """
            listening-ip=127.0.0.1
            listening-port=\(port)
            relay-ip=127.0.0.1
            min-port=\(port &+ 1)
            max-port=\(port &+ 200)
            lt-cred-mech
            user=\(username):\(password)
            realm=tincan.test
            allow-loopback-peers
            no-tcp-relay
            no-tls
            no-dtls
            no-cli
            fingerprint
            pidfile=\(directory.appendingPathComponent("turnserver.pid").path)
            userdb=\(directory.appendingPathComponent("turndb").path)
            log-file=\(directory.appendingPathComponent("turnserver.log").path)
            simple-log
            no-stdout-log
            """
        let configFile = directory.appendingPathComponent("turnserver.conf")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-c", configFile.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
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

    /// A UDP port that was free a moment ago on 127.0.0.1, below 60000 (the relay ports follow it).
    public static func freeUDPPort() async throws -> UInt16 {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        guard port > 0 else { throw CoturnError(description: "no free port") }
        // Relay ports are port+1...port+200: keep them inside the port range.
        return port < 65000 ? UInt16(port) : UInt16(port - 10000)
    }
}
