import Foundation
import MediaCapture
import PeerConnection
import Signaling
import Synchronization

/// The running part of a call, shared by send/recv/call: wait for the duration, Ctrl-C, the
/// peer's hang-up or a failed connection; keep a stats line on a terminal; end cleanly.
struct CallSession: Sendable {
    let pc: RTCPeerConnection
    let stream: MediaStream?
    let duration: Double?
    var monitor: CallMonitor?

    init(pc: RTCPeerConnection, stream: MediaStream?, duration: Double?, monitor: CallMonitor? = nil) {
        self.pc = pc
        self.stream = stream
        self.duration = duration
        self.monitor = monitor
    }

    func run(hangups: AsyncStream<Void>? = nil) async {
        let interrupted = Interrupt()
        let start = Date()
        let live = isatty(STDERR_FILENO) == 1
        var lastLine = Date.distantPast
        let hungUp = HangupFlag()
        let watcher = Task {
            if let hangups { for await _ in hangups { hungUp.set(); break } }
        }
        let events = Task {
            for await event in pc.events {
                if case .remoteEnded = event { hungUp.set() }
            }
        }
        defer { watcher.cancel(); events.cancel() }
        while !interrupted.happened, !hungUp.isSet {
            if let duration, Date().timeIntervalSince(start) >= duration { break }
            let state = pc.connectionState
            if state == .closed {
                hungUp.set()  // the peer's DTLS close_notify
                break
            }
            if state == .failed {
                Output.stderr("tincan: the connection failed: \(pc.failureReason ?? "ICE or DTLS")")
                break
            }
            try? await Task.sleep(for: .milliseconds(100))
            if live, Date().timeIntervalSince(lastLine) >= 1 {
                lastLine = Date()
                let line = (monitor ?? CallMonitor()).statsLine(pc.getStats(), elapsed: Date().timeIntervalSince(start), capturing: stream?.active ?? false)
                FileHandle.standardError.write(Data(("\r" + line + "   ").utf8))
            }
        }
        if live { FileHandle.standardError.write(Data("\n".utf8)) }
        if hungUp.isSet { Output.stderr("tincan: the peer hung up") }
        if interrupted.happened { Output.stderr("tincan: interrupted, ending the call") }
    }

    /// RTCP BYE and DTLS close (pc.close), then the signaling's own goodbye (WHIP DELETE,
    /// room bye), then the devices.
    func end(exchange: (any Sendable)?) async {
        await pc.close()
        if let e = exchange as? any OfferExchange { try? await e.close() }
        else if let a = exchange as? any OfferAnswering { try? await a.close() }
        for t in stream?.getTracks() ?? [] { t.stop() }
    }
}

final class HangupFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}
