import ArgumentParser
import Foundation
import Signaling

struct Offer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send an SDP offer to the peer in a room and print its answer.",
        discussion: """
        Joins the room as the offering peer, waits until another peer is there (a browser on \
        the page, `tincan-signal answer`, a Tincan host), sends the offer and prints the answer, \
        byte for byte. Leaves the room (sending bye) when done, unless --stay.

        Examples:
          tincan-signal offer --url ws://127.0.0.1:8080 --room kitchen < offer.sdp > answer.sdp
          tincan-signal offer --url ws://hub:8080 --room lab --token s3cret --input offer.sdp --output answer.sdp
          tincan-signal offer --url ws://hub:8080 --room lab --stay < offer.sdp    (holds the room until the peer says bye or Ctrl-C)

        Exit status: 0 with the answer printed; 1 on an error (said on standard error): no peer \
        within --timeout, a refused join (room full, wrong token), or the peer hung up.
        """
    )

    @OptionGroup var room: RoomOptions

    @Option(help: ArgumentHelp("Read the offer from this file instead of standard input.", valueName: "file"))
    var input: String?

    @Option(help: ArgumentHelp("Write the answer to this file instead of standard output.", valueName: "file"))
    var output: String?

    @Flag(help: "After printing the answer, stay in the room until the other peer says bye, or until Ctrl-C / SIGTERM (then say bye); exit 0.")
    var stay = false

    func run() async throws {
        let offer = try await readText(path: input, what: "the offer")
        try await reportingErrors {
            let client = try RoomClient(url: room.url, room: room.room, token: room.token, timeout: room.timeoutDuration)
            do {
                printError("waiting for a peer in room \(room.room)…")
                let answer = try await client.exchange(offer: offer)
                try writeText(answer, path: output)
                if stay { await Interrupt.stay(in: client) }
                try await client.close()
            } catch {
                // The error to report is the one being thrown; closing is best effort.
                try? await client.close()
                throw error
            }
        }
    }
}
