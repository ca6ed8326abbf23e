import Foundation
import Synchronization

/// Set by SIGINT / SIGTERM so a command can stop and close its files.
private let interruptFlag = Atomic<Bool>(false)
/// True once the handlers below are installed (a command is watching the flag).
private let interruptWatched = Atomic<Bool>(false)
/// What the command says it ends on: Ctrl-C, or `Interrupt.request`'s reason.
private let interruptReason = Mutex("interrupted")
/// The write end of the pipe that wakes the watcher (-1 until it runs): write(2) is
/// async-signal-safe, so the signal handler can wake a waiter, which it could not by a lock.
private let interruptPipe = Atomic<Int32>(-1)
private let interruptWatcherStarted = Atomic<Bool>(false)
/// Waiting for the next interrupt; each is called once (`Interrupt.whenInterrupted`).
private let interruptHandlers = Mutex<[@Sendable () -> Void]>([])

/// One byte into the pipe: the watcher hands the interrupt to its waiters.
private func wakeInterruptWatcher() {
    let descriptor = interruptPipe.load(ordering: .sequentiallyConsistent)
    guard descriptor >= 0 else { return }
    var byte: UInt8 = 1
    _ = write(descriptor, &byte, 1)
}

/// Turns SIGINT and SIGTERM into a flag (the handler only stores to an atomic and writes a
/// byte to a pipe), which a command polls (`happened`) or waits for (`whenInterrupted`).
struct Interrupt {
    init() {
        Self.startWatcher()
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { _ in
                interruptFlag.store(true, ordering: .sequentiallyConsistent)
                wakeInterruptWatcher()
            }
        }
        interruptWatched.store(true, ordering: .sequentiallyConsistent)
    }

    var happened: Bool { interruptFlag.load(ordering: .relaxed) }

    /// "interrupted", or why the command was asked to end.
    var reason: String { interruptReason.withLock { $0 } }

    /// Calls `body` once, on a dispatch queue, when the interrupt comes (at once if it
    /// came already), so a waiting command need not poll the flag.
    func whenInterrupted(_ body: @escaping @Sendable () -> Void) {
        interruptHandlers.withLock { $0.append(body) }
        // An interrupt that came before the append: wake the watcher again for this handler.
        if happened { wakeInterruptWatcher() }
    }

    /// Ends the command as Ctrl-C does, for another reason (the call's window was closed):
    /// through the flag once a command watches it; before that, as SIGINT's default action
    /// would (exit status 130), which a raised SIGINT would not do where it is ignored (a
    /// command started in the background by a shell).
    static func request(reason: String) {
        guard interruptWatched.load(ordering: .sequentiallyConsistent) else {
            Output.stderr("tincan: \(reason) before the call started")
            exit(128 + SIGINT)
        }
        interruptReason.withLock { $0 = reason }
        interruptFlag.store(true, ordering: .sequentiallyConsistent)
        wakeInterruptWatcher()
    }

    /// The pipe and what reads it, once per process: a dispatch read source (libdispatch's
    /// own event thread watches it; a `Thread` of ours for it cost 0.7-1.8 MB of peak RSS).
    /// Without a pipe (no descriptors left) the flag still works: `whenInterrupted` then
    /// never calls, and the command sees `happened` at its next look.
    private static func startWatcher() {
        guard interruptWatcherStarted.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged else { return }
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { return }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)  // not into the peers a command starts
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)  // a handler never blocks
        }
        let readEnd = descriptors[0]
        interruptPipe.store(descriptors[1], ordering: .sequentiallyConsistent)
        let source = DispatchSource.makeReadSource(fileDescriptor: readEnd, queue: .global())
        // The handler holds its source: it lives as long as the process, as the signals do.
        source.setEventHandler { [source] in
            _ = source
            var bytes = [UInt8](repeating: 0, count: 64)
            while read(readEnd, &bytes, bytes.count) > 0 {}  // every wake so far, one pass
            let handlers = interruptHandlers.withLock { handlers in
                defer { handlers.removeAll() }
                return handlers
            }
            for handler in handlers { handler() }  // outside the lock
        }
        source.activate()
    }
}
