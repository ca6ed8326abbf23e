import ArgumentParser
import Foundation
import Signaling

struct Whip: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Offer to a WHIP endpoint (RFC 9725) and print its answer; or DELETE a WHIP session.",
        discussion: """
        POSTs the offer (Content-Type: application/sdp) to the endpoint, prints the answer of \
        the 201 response on standard output and the session's URL (its Location) on standard \
        error as "Location: URL". The session lasts until it is DELETEd: with --stay this \
        command does it on Ctrl-C or SIGTERM; otherwise run `tincan-signal whip --delete URL`.

        The endpoint can be a room of `tincan-signal serve` (http://HOST:PORT/whip/ROOM), a \
        `tincan recv --whip-listen`, or any WHIP server.

        Examples:
          tincan-signal whip --endpoint http://127.0.0.1:8080/whip/kitchen < offer.sdp > answer.sdp
          tincan-signal whip --endpoint https://media.example/whip/live --token s3cret --stay < offer.sdp
          tincan-signal whip --delete http://127.0.0.1:8080/whip/kitchen/3f9a1c2b4d5e6f70

        Exit status 1 with the server's status and text on standard error when the answer is not 201.
        """
    )

    @Option(help: ArgumentHelp("The WHIP endpoint URL to POST the offer to.", valueName: "url"))
    var endpoint: String?

    @Option(help: ArgumentHelp("DELETE this WHIP session URL (a Location printed earlier) and exit.", valueName: "url"))
    var delete: String?

    @Option(help: "A bearer token for the endpoint (Authorization: Bearer TOKEN).")
    var token: String?

    @Option(help: ArgumentHelp("Read the offer from this file instead of standard input.", valueName: "file"))
    var input: String?

    @Option(help: ArgumentHelp("Write the answer to this file instead of standard output.", valueName: "file"))
    var output: String?

    @Option(help: "Seconds to wait for the answer.")
    var timeout: Int = 30

    @Flag(help: "After printing the answer, keep the session until Ctrl-C or SIGTERM, then DELETE it.")
    var stay = false

    func validate() throws {
        if (endpoint == nil) == (delete == nil) { throw ValidationError("give either --endpoint (to offer) or --delete (to end a session)") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
    }

    func run() async throws {
        try await reportingErrors {
            if let delete {
                guard let url = URL(string: delete) else { throw CLIFailure("not a URL: \(delete)") }
                // A client that only deletes: give it the session as if it had made it.
                let client = WHIPClient(endpoint: url, bearerToken: token, timeout: .seconds(timeout))
                try await client.delete(sessionURL: url)
                return
            }
            guard let endpoint else { return }
            let offer = try await readText(path: input, what: "the offer")
            let client = try WHIPClient(endpoint: endpoint, bearerToken: token, timeout: .seconds(timeout))
            let answer = try await client.exchange(offer: offer)
            printError("Location: \(client.sessionURL?.absoluteString ?? "?")")
            try writeText(answer, path: output)
            if stay {
                _ = await Interrupt.wait()
                printError("interrupted: deleting the session")
                try await client.close()
            }
        }
    }
}
