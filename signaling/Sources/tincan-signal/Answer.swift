import ArgumentParser
import Foundation
import Synchronization
import Signaling

struct Answer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wait for an SDP offer in a room and send back the answer made for it.",
        discussion: """
        Joins the room as the answering peer and waits for an offer (from a browser on the \
        page, `tincan-signal offer`, a WHIP client POSTing to /whip/ROOM, a Tincan host). The \
        answer comes from one of three places:

          --answer-command CMD   runs `sh -c CMD` with the offer on its standard input; its \
        standard output is the answer (a non-zero exit sends nothing and fails).
          --offer-out F --answer-in G   writes the offer to F, then waits for G to appear (write \
        it whole, e.g. to a temporary name and `mv`).
          (neither)              prints the offer on standard output and closes it, then reads \
        the answer from standard input until its end: for coprocesses.

        Examples:
          tincan-signal answer --url ws://127.0.0.1:8080 --room kitchen --answer-command 'tincan answer-sdp'
          tincan-signal answer --url ws://hub:8080 --room lab --offer-out /tmp/o.sdp --answer-in /tmp/a.sdp
          coproc SIG { exec tincan-signal answer --url ws://hub:8080 --room lab; }
          cat <&"${SIG[0]}" > offer.sdp; make-answer < offer.sdp >&"${SIG[1]}"; exec {SIG[1]}>&-

        With --stay, it stays in the room after answering until the other peer says bye.
        """
    )

    @OptionGroup var room: RoomOptions

    @Option(help: ArgumentHelp("A shell command that reads the offer on stdin and writes the answer on stdout.", valueName: "command"))
    var answerCommand: String?

    @Option(help: ArgumentHelp("Write the offer to this file (with --answer-in).", valueName: "file"))
    var offerOut: String?

    @Option(help: ArgumentHelp("Wait for the answer in this file (with --offer-out).", valueName: "file"))
    var answerIn: String?

    @Flag(help: "After answering, stay in the room until the other peer says bye, or until Ctrl-C / SIGTERM (then say bye); exit 0.")
    var stay = false

    func validate() throws {
        if (offerOut == nil) != (answerIn == nil) { throw ValidationError("--offer-out and --answer-in go together") }
        if answerCommand != nil && offerOut != nil { throw ValidationError("use either --answer-command or --offer-out/--answer-in") }
    }

    func run() async throws {
        try await reportingErrors {
            let client = try RoomClient(url: room.url, room: room.room, token: room.token, timeout: room.timeoutDuration)
            do {
                printError("waiting for an offer in room \(room.room)…")
                let offer = try await client.receiveOffer()
                let answer: String
                if let answerCommand {
                    answer = try await offPool { try runAnswerCommand(answerCommand, offer: offer) }
                } else if let offerOut, let answerIn {
                    answer = try await FileExchange(offerPath: offerOut, answerPath: answerIn, timeout: room.timeoutDuration).exchange(offer: offer)
                } else {
                    // A pipe's reader may be slow: write off the cooperative pool.
                    try await offPool {
                        FileHandle.standardOutput.write(Data(offer.utf8))
                        close(STDOUT_FILENO)
                    }
                    answer = try await readText(path: nil, what: "the answer")
                }
                try await client.sendAnswer(answer)
                if stay { await Interrupt.stay(in: client) }
                try await client.close()
            } catch {
                // The error to report is the one being thrown; closing is best effort.
                try? await client.close()
                throw error
            }
        }
    }

    /// `sh -c command` with the offer on stdin; its stdout is the answer.
    func runAnswerCommand(_ command: String, offer: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        // A command that exits without reading the whole offer closes the pipe under the
        // writer: without this, SIGPIPE would end tincan-signal with no word; ignored, the
        // write fails with EPIPE, which is reported below.
        signal(SIGPIPE, SIG_IGN)
        do { try process.run() } catch { throw CLIFailure("cannot run /bin/sh: \(error.localizedDescription)") }
        let writeFailure = Mutex<(any Error)?>(nil)
        let written = DispatchSemaphore(value: 0)
        let writer = Thread {
            do { try stdin.fileHandleForWriting.write(contentsOf: Data(offer.utf8)) } catch {
                writeFailure.withLock { $0 = error }
            }
            // Closing our end of a pipe cannot fail in a way that matters: the command saw
            // its end of input, or has exited already.
            try? stdin.fileHandleForWriting.close()
            written.signal()
        }
        writer.start()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        written.wait()
        let unread = writeFailure.withLock { $0 }.map { error in
            "the answer command did not read the whole offer on its standard input (\(Self.describe(error)))"
        }
        guard process.terminationStatus == 0 else {
            throw CLIFailure("the answer command exited with status \(process.terminationStatus)"
                             + (unread.map { "; \($0)" } ?? "") + "; no answer was sent")
        }
        // A command may make its answer without the offer (`cat answer.sdp`): said, not fatal.
        if let unread { printError("note: \(unread)") }
        guard let answer = String(data: data, encoding: .utf8), !answer.isEmpty else {
            throw CLIFailure("the answer command printed no answer (or not UTF-8 text)")
        }
        return answer
    }

    /// EPIPE in words; anything else as it is.
    static func describe(_ error: any Error) -> String {
        if let posix = error as? POSIXError, posix.code == .EPIPE { return "broken pipe: it exited or closed it first" }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain, ns.code == Int(EPIPE) { return "broken pipe: it exited or closed it first" }
        return "\(error)"
    }
}
