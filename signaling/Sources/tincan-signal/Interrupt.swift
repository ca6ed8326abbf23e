import Dispatch
import Foundation
import Signaling

/// SIGINT and SIGTERM as an async event, so `--stay` can end a session cleanly (bye, DELETE)
/// when a person presses Ctrl-C or a script kills the command.
enum Interrupt {
    /// Returns the signal number once SIGINT or SIGTERM arrives.
    static func wait() async -> Int32 {
        let fired = Mailbox<Int32>()
        let made: [any DispatchSourceSignal] = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { fired.put(number) }
            source.resume()
            return source
        }
        // receive() throws only when this task is cancelled, which is an interruption too.
        let number = (try? await fired.receive()) ?? SIGINT
        // Using the sources here keeps them alive until now; then the defaults come back.
        for source in made { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        return number
    }

    /// Runs `body` until it returns or a signal arrives; true when it was interrupted.
    static func race(_ body: @escaping @Sendable () async -> Void) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await body(); return false }
            group.addTask { _ = await wait(); return true }
            let interrupted = await group.next() ?? false
            group.cancelAll()
            return interrupted
        }
    }

    /// `--stay`: keeps the room until the other peer says bye or the user interrupts.
    static func stay(in client: RoomClient) async {
        let interrupted = await race {
            for await bye in client.byes {
                printError("the other peer said bye" + (bye.reason.map { " (\($0))" } ?? ""))
                break
            }
        }
        if interrupted { printError("interrupted: saying bye") }
    }
}
