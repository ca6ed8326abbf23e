import ArgumentParser

@main
struct Tincan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tincan",
        abstract: "getUserMedia for Linux: capture, encode and send a camera and microphone over WebRTC.",
        subcommands: [BenchCommand.self]
    )
}
