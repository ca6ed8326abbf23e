import Foundation
import MediaCapture
import PeerConnection
import Synchronization
import VideoWindow

/// The media commands' window: the received video (`RTCRtpReceiver.addVideoSink`), the local
/// camera as a self-view, a stats line refreshed every second; closing it ends the call the
/// way Ctrl-C does (`Interrupt.request`).
final class CallWindow: Sendable {
    let window: VideoWindow
    private let statsTask = Mutex<Task<Void, Never>?>(nil)

    private init(_ window: VideoWindow) { self.window = window }

    /// Opens the window, or says in one line why the call goes on without one.
    static func open(title: String) async -> CallWindow? {
        do {
            return CallWindow(try await VideoWindow.open(title: title) { Interrupt.request(reason: "the window was closed") })
        } catch {
            Output.stderr("tincan: \(error): the call goes on without a window")
            return nil
        }
    }

    /// The local camera's pictures, as the track hands them to the sender.
    func showSelfView(of stream: MediaStream) {
        guard let track = stream.getVideoTracks().first else { return }
        _ = track.addVideoSink { [window] frame in window.selfView.put(frame) }
    }

    /// The first received video track, and the stats line from the connection's getStats.
    func show(_ pc: RTCPeerConnection) {
        if let receiver = pc.getReceivers().first(where: { $0.kind == .video }) {
            receiver.addVideoSink { [window] frame in window.remote.put(frame) }
        }
        let task = Task { [window] in
            var line = WindowStatsLine()
            while !Task.isCancelled {
                window.setStatsLine(line.update(pc.getStats(), dropped: window.remote.counters.dropped))
                try? await Task.sleep(for: .seconds(1))
            }
        }
        statsTask.withLock { $0 = task }
    }

    /// Stops the stats line and closes the window (returns once SDL is released).
    func close() async {
        statsTask.withLock { $0.take() }?.cancel()
        await window.close()
    }
}

/// The window's stats line: what the received picture is (resolution, fps) and how it
/// arrives over the last second (bitrate, loss), and the RTT of the selected pair. The
/// terminal's line (`CallMonitor.statsLine`) is the whole call's, sent and received.
struct WindowStatsLine {
    private var last: (bytes: Double, received: Double, lost: Double, at: Double)?

    mutating func update(_ stats: RTCStatsReport, dropped: Int64) -> String {
        guard let inbound = stats.first(type: "inbound-rtp", kind: "video") else { return "waiting for video" }
        func value(_ e: RTCStatsReport.Entry?, _ k: String) -> Double { CallSetup.number(e, k) ?? 0 }
        let bytes = value(inbound, "bytesReceived"), received = value(inbound, "packetsReceived"), lost = value(inbound, "packetsLost")
        var parts = [String(format: "%.0fx%.0f %.0f fps", value(inbound, "frameWidth"), value(inbound, "frameHeight"), value(inbound, "framesPerSecond"))]
        if let last, inbound.timestamp > last.at {
            parts.append(String(format: "%.0f kbit/s", (bytes - last.bytes) * 8 / (inbound.timestamp - last.at)))
            let expected = (received - last.received) + (lost - last.lost)
            parts.append(String(format: "loss %.1f %%", expected > 0 ? max(0, lost - last.lost) / expected * 100 : 0))
        }
        if let rtt = CallSetup.number(stats.first(type: "candidate-pair"), "currentRoundTripTime") {
            parts.append(String(format: "rtt %.0f ms", rtt * 1000))
        } else {
            parts.append("rtt -")
        }
        if dropped > 0 { parts.append("window dropped \(dropped)") }
        last = (bytes, received, lost, inbound.timestamp)
        return parts.joined(separator: " | ")
    }
}
