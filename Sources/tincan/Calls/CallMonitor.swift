import Foundation
import MediaCapture
import MediaCodecs
import MediaPrimitives
import PeerConnection
import Synchronization

/// Watches one side of a call: what was decoded (frame numbers read from the synthetic
/// camera's burned-in counter, PSNR against the pictures sent when they are at hand), when
/// the first frame came, and the stats line and final report the media commands print.
final class CallMonitor: Sendable {
    private struct State {
        var decodedFrames = 0
        var decodedAudioFrames = 0
        var firstFrameAt: UInt64?
        var frameNumbers: [Int] = []
        var psnr: [Double] = []
        var width = 0
        var height = 0
        var firstArrival: UInt64?
        var lastArrival: UInt64?
        /// Pictures as sent, by burned-in frame number (loopback only), a few seconds' worth.
        var sent: [Int: VideoFrame] = [:]
        var freezes = FreezeDetector()
    }

    private let state = Mutex(State())

    /// Keeps the pictures the local camera track hands the encoder, to score the decoded ones.
    func keepSentPictures(of track: MediaStreamTrack) {
        _ = track.addVideoSink { [self] frame in
            guard let n = SyntheticPattern.readFrameNumber(from: frame) else { return }
            state.withLock { s in
                s.sent[n] = frame
                if s.sent.count > 90, let oldest = s.sent.keys.min() { s.sent[oldest] = nil }
            }
        }
    }

    /// Hooks a receiver's decoded output.
    func watch(_ receiver: RTCRtpReceiver) {
        receiver.addVideoSink { [self] frame in
            let now = MonotonicClock.now()
            let number = SyntheticPattern.readFrameNumber(from: frame)
            state.withLock { s in
                s.decodedFrames += 1
                if s.firstFrameAt == nil { s.firstFrameAt = now }
                s.firstArrival = s.firstArrival ?? now
                s.lastArrival = now
                s.freezes.frameDecoded(at: now)
                s.width = frame.width
                s.height = frame.height
                if let number {
                    s.frameNumbers.append(number)
                    if let original = s.sent[number], let score = VideoQuality.lumaPSNR(original, frame) { s.psnr.append(score) }
                }
            }
        }
        // Opus frames as they are decoded, or, when the audio plays, as they enter the jitter
        // buffer (whose audio sinks then get 10 ms blocks).
        receiver.addEncodedAudioSink { [self] _ in state.withLock { $0.decodedAudioFrames += 1 } }
    }

    var decodedFrames: Int { state.withLock { $0.decodedFrames } }

    /// The freezes so far (CLOCK_MONOTONIC ns).
    var freezes: [FreezeDetector.Freeze] { state.withLock { $0.freezes.freezes } }

    /// Frames decoded per second over the whole run after the first frame.
    private static func rate(_ s: State) -> Double {
        guard let a = s.firstArrival, let b = s.lastArrival, b > a, s.decodedFrames > 1 else { return 0 }
        return Double(s.decodedFrames - 1) / (Double(b - a) / 1e9)
    }

    /// One line: fps, bitrate, RTT, loss, and the capture indicator when we capture.
    func statsLine(_ stats: RTCStatsReport, elapsed: Double, capturing: Bool) -> String {
        func num(_ e: RTCStatsReport.Entry?, _ k: String) -> Double {
            if case .number(let v)? = e?[k] { return v }
            return 0
        }
        var parts = [String(format: "%5.1f s", elapsed)]
        if capturing { parts.append("● camera+microphone on") }
        if let out = stats.first(type: "outbound-rtp", kind: "video") {
            parts.append(String(format: "sent %.0f fps %.0f kbit/s", num(out, "framesPerSecond"), num(out, "bytesSent") * 8 / max(elapsed, 0.001) / 1000))
        }
        if let inbound = stats.first(type: "inbound-rtp", kind: "video") {
            parts.append(String(format: "received %.0f fps %.0fx%.0f lost %.0f", num(inbound, "framesPerSecond"),
                                num(inbound, "frameWidth"), num(inbound, "frameHeight"), num(inbound, "packetsLost")))
        }
        if let remote = stats.first(type: "remote-inbound-rtp", kind: "video"), remote["roundTripTime"] != nil {
            parts.append(String(format: "rtt %.1f ms loss %.1f %%", num(remote, "roundTripTime") * 1000, num(remote, "fractionLost") * 100))
        }
        return parts.joined(separator: " | ")
    }

    /// The final report of what this side received. `connectedAt` (when ICE and DTLS were
    /// up) splits offerToFirstFrameMs into offerToConnectedMs and what came after.
    func report(offerAt: UInt64, connectedAt: UInt64? = nil, stats: RTCStatsReport) -> JSONValue {
        let s = state.withLock { $0 }
        var m: [(String, JSONValue)] = [
            ("videoFramesDecoded", .number(Double(s.decodedFrames))),
            ("audioFramesDecoded", .number(Double(s.decodedAudioFrames))),
            ("width", .number(Double(s.width))), ("height", .number(Double(s.height))),
            ("fps", .number((Self.rate(s) * 100).rounded() / 100)),
        ]
        m += s.freezes.figures
        if let first = s.firstFrameAt, first > offerAt {
            m.append(("offerToFirstFrameMs", .number((Double(first - offerAt) / 1e4).rounded() / 100)))
        }
        if let connectedAt, connectedAt >= offerAt {
            m.append(("offerToConnectedMs", .number((Double(connectedAt - offerAt) / 1e4).rounded() / 100)))
        }
        if !s.psnr.isEmpty {
            let mean = s.psnr.reduce(0, +) / Double(s.psnr.count)
            m.append(("psnrMeanDb", .number((mean * 100).rounded() / 100)))
            m.append(("psnrMinDb", .number(((s.psnr.min() ?? 0) * 100).rounded() / 100)))
            m.append(("psnrFrames", .number(Double(s.psnr.count))))
        }
        let video = stats.first(type: "inbound-rtp", kind: "video"), audio = stats.first(type: "inbound-rtp", kind: "audio")
        if case .number(let v)? = video?["captureToDecodeDelay"], case .number(let a)? = audio?["captureToDecodeDelay"] {
            m.append(("videoDelayMs", .number((v * 10000).rounded() / 10)))
            m.append(("audioDelayMs", .number((a * 10000).rounded() / 10)))
            m.append(("avOffsetMs", .number(((v - a) * 10000).rounded() / 10)))
        }
        if let video, case .number(let lost)? = video["packetsLost"] { m.append(("videoPacketsLost", .number(lost))) }
        return .object(m)
    }
}
