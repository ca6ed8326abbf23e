import Foundation
import Logging
import MediaCapture
import PeerConnection
import Signaling
import Synchronization

/// The running part of a call, shared by send/recv/call: wait for the duration, Ctrl-C, the
/// peer's hang-up or a failed connection; keep a stats line on a terminal; end cleanly.
struct CallSession: Sendable {
    let pc: RTCPeerConnection
    /// The connection's events (the one reader of `pc.events`).
    let events: PeerConnectionEventHub
    let stream: MediaStream?
    let duration: Double?
    var monitor: CallMonitor?

    init(pc: RTCPeerConnection, events: PeerConnectionEventHub, stream: MediaStream?, duration: Double?, monitor: CallMonitor? = nil) {
        self.pc = pc
        self.events = events
        self.stream = stream
        self.duration = duration
        self.monitor = monitor
    }

    /// How a call that connected ended.
    enum Ending: Sendable, Equatable {
        case durationElapsed, interrupted, hungUp
        /// The connection failed under the call (the peer vanished: RFC 7675 consent lost).
        case failed(String)

        var isFailure: Bool { if case .failed = self { true } else { false } }
    }

    /// How often the loop looks without being woken: the stats line's second, and a bound on
    /// how late a change nothing announces is seen.
    static let lookInterval: Duration = .seconds(1)

    @discardableResult
    func run(hangups: AsyncStream<Void>? = nil) async -> Ending {
        let interrupted = Interrupt()
        let start = Date()
        let live = isatty(STDERR_FILENO) == 1
        var lastLine = Date.distantPast
        let hungUp = HangupFlag()
        // What wakes the loop: Ctrl-C, a hang-up, a connection state change, the duration's
        // end, the stats line's second. It waits for these instead of looking every 100 ms
        // (Task.sleep's timers and wake-ups were 1.7 % of a 480p sender's CPU, perf).
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        interrupted.whenInterrupted { wake.yield() }
        let watcher = Task {
            if let hangups { for await _ in hangups { hungUp.set(); wake.yield(); break } }
        }
        let subscription = events.subscribe()
        let remoteEnded = Task {
            // The peer hung up when every stream it sent has ended (RTCP BYE, or an exchange
            // that stops them); one track ending is a renegotiation (remove-video).
            var live = Set<ObjectIdentifier>()
            for await event in subscription {
                switch event {
                case .track(let receiver, _): live.insert(ObjectIdentifier(receiver))
                case .remoteEnded(let receiver):
                    live.remove(ObjectIdentifier(receiver))
                    if live.isEmpty { hungUp.set(); wake.yield() }
                case .connectionStateChange: wake.yield()
                default: break
                }
            }
        }
        let end = duration.map { ContinuousClock.now + .milliseconds(Int64(($0 * 1000).rounded(.up))) }
        let ticker = Task {
            while !Task.isCancelled {
                let now = ContinuousClock.now, next = now + Self.lookInterval
                // The duration's end, until it has passed (then a second at a time, not a spin).
                let target = end.flatMap { $0 > now ? min($0, next) : nil } ?? next
                try? await Task.sleep(until: target, clock: .continuous)
                wake.yield()
            }
        }
        defer { watcher.cancel(); remoteEnded.cancel(); ticker.cancel(); wake.finish() }
        var ending = Ending.durationElapsed
        var woken = wakes.makeAsyncIterator()
        while !interrupted.happened, !hungUp.isSet {
            if let end, ContinuousClock.now >= end { break }
            let state = pc.connectionState
            if state == .closed {
                hungUp.set()  // the peer's DTLS close_notify
                break
            }
            if state == .failed {
                let reason = pc.failureReason ?? "ICE or DTLS failed"
                Output.stderr("tincan: the call failed: \(reason)")
                ending = .failed(reason)
                break
            }
            if live, Date().timeIntervalSince(lastLine) >= 1 {
                lastLine = Date()
                let line = (monitor ?? CallMonitor()).statsLine(pc.getStats(), elapsed: Date().timeIntervalSince(start), capturing: stream?.active ?? false)
                FileHandle.standardError.write(Data(("\r" + line + "   ").utf8))
            }
            _ = await woken.next()
        }
        if live { FileHandle.standardError.write(Data("\n".utf8)) }
        if hungUp.isSet { Output.stderr("tincan: the peer hung up"); ending = .hungUp }
        if interrupted.happened { Output.stderr("tincan: \(interrupted.reason), ending the call"); ending = .interrupted }
        return ending
    }

    /// The devices first (the camera goes off at once, whatever the network does), then
    /// RTCP BYE and DTLS close (pc.close), then the signaling's own goodbye (WHIP DELETE,
    /// room bye), which may wait for a server that is gone (WHIPClient bounds it).
    func end(exchange: (any Sendable)?) async {
        for t in stream?.getTracks() ?? [] { t.stop() }
        await pc.close()
        do {
            if let e = exchange as? any OfferExchange { try await e.close() }
            else if let a = exchange as? any OfferAnswering { try await a.close() }
        } catch {
            // The call is over and the devices are off: the other side only missed our goodbye.
            CLILog.call.notice("the signaling goodbye (WHIP DELETE, room bye) failed: \(error)")
        }
    }
}

final class HangupFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}
