import Foundation

/// A `tincan-signal serve` on 127.0.0.1 for the call tests, from the build next to `tincan`;
/// stop it with `stop()` (terminate by PID, then wait).
struct SignalServer {
    let process: Process
    let port: Int

    static func start() throws -> SignalServer {
        guard let tincan = TincanBinary.path else { throw CLIError("tincan binary not found") }
        let signalPath = URL(fileURLWithPath: tincan).deletingLastPathComponent().appendingPathComponent("tincan-signal").path
        guard FileManager.default.isExecutableFile(atPath: signalPath) else { throw CLIError("tincan-signal not built next to tincan") }
        let port = CallCommandTests.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: signalPath)
        server.arguments = ["serve", "--listen", "127.0.0.1:\(port)"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        Thread.sleep(forTimeInterval: 1)
        return SignalServer(process: server, port: port)
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
