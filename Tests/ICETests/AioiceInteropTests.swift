import Foundation
import NetworkPrimitives
import Testing
@testable import ICE

/// Interoperation with an ICE agent nobody here wrote: aioice (the ICE of aiortc), run as a
/// Python child process on 127.0.0.1 that talks JSON lines on stdin/stdout.
@Suite struct AioiceInteropTests {
    static let script = #"""
    import asyncio, json, sys
    import aioice, aioice.ice
    # aioice skips loopback when gathering: restrict it to 127.0.0.1 explicitly.
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

    async def main():
        controlling = sys.argv[1] == "controlling"
        conn = aioice.Connection(ice_controlling=controlling, use_ipv6=False)
        await conn.gather_candidates()
        print(json.dumps({"ufrag": conn.local_username, "pwd": conn.local_password,
                          "candidates": [c.to_sdp() for c in conn.local_candidates]}), flush=True)
        remote = json.loads(await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline))
        conn.remote_username = remote["ufrag"]
        conn.remote_password = remote["pwd"]
        for line in remote["candidates"]:
            await conn.add_remote_candidate(aioice.Candidate.from_sdp(line))
        await conn.add_remote_candidate(None)
        await asyncio.wait_for(conn.connect(), 10)
        print(json.dumps({"connected": True}), flush=True)
        data = await asyncio.wait_for(conn.recv(), 5)
        await conn.send(b"echo:" + data)
        await asyncio.sleep(0.2)
        await conn.close()

    asyncio.run(main())
    """#

    @Test(arguments: [ICERole.controlling, ICERole.controlled])
    func connectsToAioice(ourRole: ICERole) async throws {
        try PythonPeer.requireAioice()
        let peer = try PythonPeer(script: Self.script, arguments: [ourRole == .controlling ? "controlled" : "controlling"])
        defer { peer.stop() }

        var configuration = ICEConfiguration.fastForTesting
        configuration.restrictToAddresses = [IPAddress("127.0.0.1")!]
        configuration.includeIPv6 = false
        let agent = ICEAgent(role: ourRole, configuration: configuration)
        let report = try await agent.gather()

        let offer = try await withTimeout(.seconds(10)) { try await peer.readLine() }
        let remote = try JSONSerialization.jsonObject(with: Data(offer.utf8)) as? [String: Any]
        let ufrag = try #require(remote?["ufrag"] as? String)
        let pwd = try #require(remote?["pwd"] as? String)
        let lines = try #require(remote?["candidates"] as? [String])
        #expect(!lines.isEmpty)

        let ours = try await agent.localCredentials
        let answer: [String: Any] = [
            "ufrag": ours.ufrag, "pwd": ours.pwd,
            "candidates": report.candidates.map { String($0.sdpAttribute.dropFirst("candidate:".count)) },
        ]
        try peer.writeLine(String(decoding: try JSONSerialization.data(withJSONObject: answer), as: UTF8.self))

        try await agent.setRemoteCredentials(ICECredentials(ufrag: ufrag, pwd: pwd))
        for line in lines { try await agent.addRemoteCandidate(sdp: line) }
        try await agent.endOfRemoteCandidates()

        let pair = try await withTimeout(.seconds(10)) { try await agent.connect() }
        #expect(pair.remote.address.ip == IPAddress("127.0.0.1"))
        let connected = try await withTimeout(.seconds(10)) { try await peer.readLine() }
        #expect(connected.contains("connected"))

        let payload: [UInt8] = [22, 0xFE, 0xFD, 0, 1, 2, 3]
        try await agent.send(payload)
        let echo = try await withTimeout(.seconds(5)) { try await first(agent.datagrams) }
        #expect(echo.payload == Array("echo:".utf8) + payload)
        try await agent.close()
    }
}

/// A Python child process with line-based stdin/stdout.
final class PythonPeer: Sendable {
    let process: Process
    let input: FileHandle
    let lines: AsyncStream<String>

    init(script: String, arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        let reader = stdout.fileHandleForReading
        // A thread of its own: reading a pipe blocks.
        Thread.detachNewThread {
            var buffer = [UInt8]()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                buffer += chunk
                while let newline = buffer.firstIndex(of: 10) {
                    continuation.yield(String(decoding: buffer[..<newline], as: UTF8.self))
                    buffer.removeSubrange(...newline)
                }
            }
            continuation.finish()
        }
        try process.run()
        self.process = process
        self.input = stdin.fileHandleForWriting
        self.lines = lines
    }

    func readLine() async throws -> String {
        for await line in lines { return line }
        throw ICEError.failed("the Python peer exited")
    }

    func writeLine(_ line: String) throws {
        try input.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Kills the child by its PID.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    /// aioice (PyPI; aiortc depends on it) comes with the interop peers that
    /// scripts/interop/install sets up (scripts/test runs it); without it the test fails,
    /// naming the step to run.
    static func requireAioice() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import aioice"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ICEError.failed("aioice is not installed for python3: run scripts/interop/install")
        }
    }
}
