import Foundation
import MediaCapture
import Synchronization

/// Set by SIGINT / SIGTERM so a command can stop and close its files.
private let interruptFlag = Atomic<Bool>(false)
/// True once the handlers below are installed (a command is watching the flag).
private let interruptWatched = Atomic<Bool>(false)
/// What the command says it ends on: Ctrl-C, or `Interrupt.request`'s reason.
private let interruptReason = Mutex("interrupted")
/// The write end of the pipe that wakes the watcher's thread (-1 until it runs): write(2) is
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
                // write(2) may set errno: the interrupted thread's errno must survive the handler.
                let saved = errno
                interruptFlag.store(true, ordering: .sequentiallyConsistent)
                wakeInterruptWatcher()
                errno = saved
            }
        }
        interruptWatched.store(true, ordering: .sequentiallyConsistent)
    }

    var happened: Bool { interruptFlag.load(ordering: .relaxed) }

    /// "interrupted", or why the command was asked to end.
    var reason: String { interruptReason.withLock { $0 } }

    /// Calls `body` once, on the watcher's thread, when the interrupt comes (at once if it
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

    /// The pipe and the thread that reads it, once per process: a bare pthread blocked in
    /// `read`, the least code to bring in beside the 40 MB the sender is held to (no
    /// Foundation `Thread`, no dispatch source). Without a pipe or a thread the flag still
    /// works: `whenInterrupted` then never calls, and the command sees `happened` at its
    /// next look.
    private static func startWatcher() {
        guard interruptWatcherStarted.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged else { return }
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { return }
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }  // not into the peers a command starts
        // The signal handler's end never blocks (a full pipe has wakes enough).
        _ = fcntl(descriptors[1], F_SETFL, fcntl(descriptors[1], F_GETFL) | O_NONBLOCK)
        let readEnd = descriptors[0]
        let started = runOnOwnThread {
            var byte: UInt8 = 0
            while true {
                let got = read(readEnd, &byte, 1)
                if got < 0 && errno == EINTR { continue }
                if got <= 0 { return }
                let handlers = interruptHandlers.withLock { handlers in
                    defer { handlers.removeAll() }
                    return handlers
                }
                for handler in handlers { handler() }  // outside the lock
            }
        }
        guard started else { return }
        interruptPipe.store(descriptors[1], ordering: .sequentiallyConsistent)
    }
}
