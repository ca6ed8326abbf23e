import ArgumentParser
import PeerConnection

/// Options of every media command: how long, and where the final stats go.
struct SessionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Seconds of call after connecting (default: until Ctrl-C or the peer hangs up).", valueName: "seconds"))
    var duration: Double?

    @Option(name: .customLong("stats-json"), help: ArgumentHelp("Write the final getStats() and a summary (videoFramesSent, ...) here.", valueName: "file"))
    var statsJSON: String?

    func validate() throws {
        if let duration, !(duration > 0 && duration <= 24 * 3600) { throw ValidationError("--duration must be between 0 and 86400 seconds") }
    }
}

/// Options of the commands that capture and send.
struct SendingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("MediaStreamConstraints as JSON.", valueName: "json"))
    var constraints = #"{"video": true, "audio": true}"#

    @Option(name: .customLong("max-bitrate"), help: ArgumentHelp("Video bitrate cap in bit/s (REMB from the peer can only lower it).", valueName: "bps"))
    var maxBitrate: Int?

    func validate() throws {
        if let maxBitrate, !(10_000...50_000_000).contains(maxBitrate) {
            throw ValidationError("--max-bitrate is in bits per second, between 10000 and 50000000")
        }
    }
}

/// Options of the commands that receive: where to record.
struct RecordingOptions: ParsableArguments {
    @Option(name: .customLong("video-out"), help: ArgumentHelp("Record the received video: .y4m raw, .ivf VP8.", valueName: "file"))
    var videoOut: String?

    @Option(name: .customLong("audio-out"), help: ArgumentHelp("Record the received audio: .wav raw (what plays, when it plays), .ogg Opus (as received).", valueName: "file"))
    var audioOut: String?

    func validate() throws {
        for (flag, path, kinds) in [("--video-out", videoOut, ["y4m", "ivf"]), ("--audio-out", audioOut, ["wav", "ogg"])] {
            if let path, !kinds.contains(path.split(separator: ".").last?.lowercased() ?? "") {
                throw ValidationError("\(flag) \(path): use a .\(kinds.joined(separator: " or .")) file")
            }
        }
    }

    /// Hooks every receiver the connection announces to the monitor, the recorder and
    /// `also` (the playout).
    func watchTracks(of events: PeerConnectionEventHub, monitor: CallMonitor,
                     also: @escaping @Sendable (RTCRtpReceiver) -> Void = { _ in }) -> (Task<Void, Never>, ReceivedMediaRecorder) {
        let recorder = ReceivedMediaRecorder(videoPath: videoOut, audioPath: audioOut)
        let stream = events.subscribe()
        let task = Task {
            for await event in stream {
                if case .track(let receiver, _) = event {
                    monitor.watch(receiver)
                    recorder.attach(receiver)
                    also(receiver)
                }
            }
        }
        return (task, recorder)
    }
}

extension CallSetup {
    static func peerConnection(_ signaling: SignalingOptions, maxBitrate: Int? = nil) throws -> RTCPeerConnection {
        var config = RTCConfiguration()
        config.maxBitrate = maxBitrate
        config.loopbackCandidates = signaling.loopbackPolicy
        signaling.ice.apply(to: &config)
        var settings = RTCSettingEngine()
        // A room carries candidates as they come (RFC 8838): the description goes out with
        // the host candidates instead of waiting for STUN and TURN. The other channels need
        // whole descriptions.
        settings.trickleGathering = signaling.room != nil
        return try RTCPeerConnection(configuration: config, settings: settings)
    }
}
