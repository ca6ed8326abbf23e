import ArgumentParser
import Foundation
import Logging
import Signaling
import SignalingServer

@main
struct TincanSignal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tincan-signal",
        abstract: "Exchange WebRTC offers and answers: a room server with a web page and WHIP, and shell commands for scripts.",
        discussion: """
        A call needs one SDP offer and one SDP answer to cross between the two peers. This tool \
        carries them, byte for byte, and never reads them.

        Start a server, open its page in a browser, and answer the browser from a shell:
          tincan-signal serve --listen 0.0.0.0:8080
          (browser) http://HOST:8080/?room=kitchen
          tincan-signal answer --url ws://HOST:8080 --room kitchen --answer-command 'my-answerer'

        Or offer from a shell to whoever waits in the room (the browser, or another host):
          tincan-signal offer --url ws://HOST:8080 --room kitchen < offer.sdp > answer.sdp

        Offer to a WHIP endpoint (RFC 9725), e.g. the room's /whip/ROOM:
          tincan-signal whip --endpoint http://HOST:8080/whip/kitchen < offer.sdp > answer.sdp

        Without any network path between the two sides' shells, copy and paste:
          tincan-signal encode --kind offer < offer.sdp      (paste the lines on the other side)
          tincan-signal decode --kind offer > offer.sdp      (paste, then Ctrl-D)

        The message protocol (JSON over WebSocket, and WHIP per room) is in signaling/PROTOCOL.md.
        """,
        subcommands: [Serve.self, Offer.self, Answer.self, Whip.self, Encode.self, Decode.self]
    )
}

/// Where the room is: shared by `offer` and `answer`.
struct RoomOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The server: ws://HOST:PORT (wss://, http:// and https:// work too; the /ws path is added).", valueName: "url"))
    var url: String

    @Option(help: "The room to join (1-64 characters: A-Z a-z 0-9 - . _ ~).")
    var room: String

    @Option(help: "The server's token, when it was started with --token.")
    var token: String?

    @Option(help: "Give up after this many seconds of waiting for the other peer or its SDP (0: wait forever).")
    var timeout: Int = 120

    var timeoutDuration: Duration? { timeout > 0 ? .seconds(timeout) : nil }
}

/// A failure that `main` prints as one line, without a stack of usage text.
struct CLIFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// stderr, for progress and errors: stdout carries SDP for pipelines.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Runs blocking work (a read of stdin, a wait for a child process) on a Dispatch thread, so
/// the few threads of Swift's cooperative pool stay free for the WebSocket connection.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// Reads an SDP (or any text) from a file or stdin, byte for byte, off the cooperative pool.
func readText(path: String?, what: String) async throws -> String {
    try await offPool { try readTextBlocking(path: path, what: what) }
}

func readTextBlocking(path: String?, what: String) throws -> String {
    let data: Data
    if let path, path != "-" {
        guard let d = FileManager.default.contents(atPath: path) else { throw CLIFailure("cannot read \(what) from \(path)") }
        data = d
    } else {
        data = FileHandle.standardInput.readDataToEndOfFile()
    }
    guard let text = String(data: data, encoding: .utf8) else { throw CLIFailure("\(what) is not UTF-8 text") }
    guard !text.isEmpty else { throw CLIFailure("\(what) is empty\(path == nil ? " (nothing on standard input)" : "")") }
    return text
}

/// Writes text to a file or stdout, byte for byte (no newline added).
func writeText(_ text: String, path: String?) throws {
    if let path, path != "-" {
        do { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) } catch { throw CLIFailure("cannot write \(path): \(error.localizedDescription)") }
    } else {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// Runs an async body, turning Signaling errors into one clear line.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as SignalingError {
        throw CLIFailure("\(error.description)")
    }
}

extension CLIFailure: LocalizedError {
    var errorDescription: String? { description }
}
