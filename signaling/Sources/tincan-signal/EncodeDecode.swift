import ArgumentParser
import Foundation
import Signaling

struct Encode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn an SDP into lines that survive copy and paste between terminals.",
        discussion: """
        The SDP is kept byte for byte (base64url) and cut into numbered lines of at most \
        --chunk characters (default 1000, far below a terminal's 4095-byte line limit). Each \
        line names its place (i/n) and carries checksums (CRC-32) of itself and of the whole \
        SDP, so `decode` names a missing, repeated, reordered, cut or changed line instead of \
        producing a broken SDP:

          TINCAN1 offer 1/6 5123 9f2a1b3c c3d4e5f6 dj0wDQpvPS0gNDYx…

        Examples:
          tincan-signal encode --kind offer < offer.sdp
          tincan-signal encode --kind answer --input answer.sdp --chunk 500
        """
    )

    @Option(help: "What the SDP is: offer or answer (checked by decode --kind).")
    var kind: String = "offer"

    @Option(help: "The most base64url characters per line.")
    var chunk: Int = CopyPasteBlob.defaultChunkLength

    @Option(help: ArgumentHelp("Read the SDP from this file instead of standard input.", valueName: "file"))
    var input: String?

    func validate() throws {
        guard (16...3000).contains(chunk) else { throw ValidationError("--chunk must be between 16 and 3000") }
        guard !kind.isEmpty, kind.allSatisfy({ $0.isLetter && $0.isASCII }) else { throw ValidationError("--kind is a word, e.g. offer or answer") }
    }

    func run() async throws {
        let sdp = try await readText(path: input, what: "the SDP")
        print(CopyPasteBlob.encode(sdp, kind: kind.lowercased(), maxChunkLength: chunk).joined(separator: "\n"))
    }
}

struct Decode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn pasted TINCAN1 lines back into the SDP, byte for byte, or say what is wrong.",
        discussion: """
        Reads standard input (or --input) to its end: paste the lines, then press Ctrl-D. \
        Other text around the lines (prompts, blank lines) is skipped. Exit status 1, with a \
        message naming the line, when a line is missing, repeated, out of order, cut or changed.

        Examples:
          tincan-signal decode --kind offer > offer.sdp
          tincan-signal encode < a.sdp | tincan-signal decode | cmp - a.sdp
        """
    )

    @Option(help: "Require this kind (offer or answer); by default any.")
    var kind: String?

    @Option(help: ArgumentHelp("Read the lines from this file instead of standard input.", valueName: "file"))
    var input: String?

    @Option(help: ArgumentHelp("Write the SDP to this file instead of standard output.", valueName: "file"))
    var output: String?

    func run() async throws {
        let text = try await readText(path: input, what: "the pasted lines")
        let decoded = try await reportingErrors { try CopyPasteBlob.decode(text, expecting: kind?.lowercased()) }
        try writeText(decoded.sdp, path: output)
    }
}
