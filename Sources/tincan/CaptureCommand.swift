import ArgumentParser
import Foundation
import MediaCapture
import MediaCodecs
import MediaPrimitives
import Synchronization

/// `tincan capture`: getUserMedia, then record the tracks to files for a while.
struct CaptureCommand: AsyncParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Capture from the camera and microphone to files (raw Y4M/WAV or VP8 IVF/Ogg Opus), and report what was captured.",
        discussion: """
        The devices open only with permission: --allow camera,microphone, a remembered "always" (see `tincan permissions`), or the prompt on a terminal. While a device captures, stderr says so; the summary (frames, measured frame rate, size, audio seconds, rate, channels) goes to stdout.

        Examples:
          tincan capture --fake-devices --allow camera,microphone \\
            --constraints '{"video": {"width": 640, "height": 480,
                                      "frameRate": {"ideal": 10, "max": 15}},
                            "audio": true}' \\
            --duration 3 --video-out out/camera.y4m --audio-out out/microphone.wav
          tincan capture --fake-devices --allow camera,microphone --duration 10 \\
            --constraints '{"video": {"frameRate": {"ideal": 10, "max": 15}}, "audio": true}' \\
            --video-out call.ivf --audio-out call.ogg --max-bitrate 300000
          tincan capture --audio-file voice.wav --allow microphone \\
            --constraints '{"audio": true}' --audio-out copy.wav

        Exit status: 0 when every track captured until --duration (or Ctrl-C); 1 when getUserMedia rejected or a file could not be written; 2 for usage errors (a bad option, devices file or media file, named in the message); 3 when a track delivered no frames or ended before --duration (its device failed or its file ended: the message says which).
        """
    )

    @OptionGroup var logging: LoggingOptions
    @OptionGroup var deviceOptions: DeviceOptions
    @OptionGroup var permissionOptions: PermissionOptions

    @Option(help: ArgumentHelp("MediaStreamConstraints as JSON.", valueName: "json"))
    var constraints = #"{"video": true, "audio": true}"#

    @Option(help: ArgumentHelp("Seconds to capture.", valueName: "seconds"))
    var duration: Double = 3

    @Option(name: .customLong("video-out"), help: ArgumentHelp("Write the video track here: .y4m raw I420, .ivf VP8 at the track's frame rate.", valueName: "file.y4m|file.ivf"))
    var videoOut: String?

    @Option(name: .customLong("audio-out"), help: ArgumentHelp("Write the audio track here: .wav 16-bit PCM, .ogg Opus (48 kHz).", valueName: "file.wav|file.ogg"))
    var audioOut: String?

    @Option(name: .customLong("max-bitrate"), help: ArgumentHelp("Cap the VP8 bitrate (bits per second); the default follows size and frame rate.", valueName: "bps"))
    var maxBitrate: Int?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard duration > 0, duration <= 24 * 3600 else { throw ValidationError("--duration must be between 0 and 86400 seconds") }
        if let maxBitrate, !(10_000...50_000_000).contains(maxBitrate) {
            throw ValidationError("--max-bitrate is in bits per second, between 10000 and 50000000")
        }
    }

    func run() async throws {
        let (video, audio) = try deviceOptions.devices()
        let permissions = try permissionOptions.broker()
        let media = MediaDevices(videoDevices: video, audioDevices: audio, permissions: permissions,
                                 indicator: StderrCaptureIndicator(prefix: "tincan: "),
                                 options: .init(captureAllowedByPolicy: DeviceOptions.captureAllowedByPolicy))
        do {
            for path in [videoOut, audioOut].compactMap({ $0 }) {
                let dir = (path as NSString).deletingLastPathComponent
                if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            }
        } catch {
            Output.stderr("tincan: \(error)")
            throw ExitCode(1)
        }
        // Each track's recorder and sink are in place before its device opens, so the first
        // frame is recorded too (a file at 0.1 fps may hold only that one in --duration).
        let prepared = Mutex<[String: Result<Recorder, TrackFileSinkError>]>([:])
        let (videoOut, audioOut, maxBitrate) = (self.videoOut, self.audioOut, self.maxBitrate)
        let stream: MediaStream
        do {
            stream = try await media.getUserMedia(jsonText: constraints, beforeCapture: { track in
                let recorder = Result { () throws(TrackFileSinkError) in
                    try Recorder.make(for: track, videoOut: videoOut, audioOut: audioOut, maxBitrate: maxBitrate)
                }
                prepared.withLock { $0[track.kind] = recorder }
            })
        } catch {
            if json { Output.print(Output.error(error)) }
            Output.stderr("tincan: getUserMedia failed: \(Output.withHint(error))")
            throw ExitCode(1)
        }
        var recorders: [Recorder] = []
        for track in stream.getTracks() {
            switch prepared.withLock({ $0[track.kind] }) {
            case .success(let r)?: recorders.append(r)
            case .failure(let error)?:
                for t in stream.getTracks() { t.stop() }
                Output.stderr("tincan: \(error)")
                throw ExitCode(1)
            case nil: continue
            }
        }

        // Capture for the duration, until every track has ended on its own, or until Ctrl-C
        // (the files are then closed properly).
        let interrupted = Interrupt()
        let start = Date()
        let showProgress = isatty(STDERR_FILENO) == 1
        var lastProgress = Date.distantPast
        // What wakes the wait: Ctrl-C, a track that ends on its own, the duration's end, and
        // on a terminal the progress line's half second.
        let end = ContinuousClock.now + .milliseconds(Int64((duration * 1000).rounded(.up)))
        let wakeups = CommandWakeups(interrupted: interrupted, every: showProgress ? .milliseconds(500) : nil, until: end)
        let endings = stream.getTracks().map { track in (track, track.onEnded { [wake = wakeups.wake] in wake.yield() }) }
        defer {
            wakeups.stop()
            for (track, token) in endings { track.removeSink(token) }
        }
        var woken = wakeups.wakes.makeAsyncIterator()
        // A track that ended before its handler was set is seen here, before the first wait.
        while ContinuousClock.now < end, stream.active, !interrupted.happened {
            _ = await woken.next()
            if showProgress, Date().timeIntervalSince(lastProgress) >= 0.45 {
                lastProgress = Date()
                let parts = recorders.map { $0.progress }.joined(separator: ", ")
                FileHandle.standardError.write(Data(String(format: "\r%.1f / %.1f s: %@   ", Date().timeIntervalSince(start), duration, parts).utf8))
            }
        }
        if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        // A track that ended by itself before the deadline (its device failed, its file ended).
        let endedEarly = recorders.filter { $0.track.readyState == .ended }.map { $0.track.kind }
        for t in stream.getTracks() { t.stop() }

        var entries: [(String, JSONValue)] = []
        var failed = false, incomplete: [String] = []
        for r in recorders {
            let (entry, error, frames) = r.finish()
            entries.append((r.track.kind, entry))
            if let error { Output.stderr("tincan: \(error)"); failed = true }
            if endedEarly.contains(r.track.kind) {
                let why = r.track.endError.map { "\($0)" } ?? "its device stopped delivering"
                Output.stderr("tincan: the \(r.track.kind) track ended early: \(why)")
                incomplete.append("the \(r.track.kind) track ended early")
            } else if frames == 0 {
                Output.stderr("tincan: the \(r.track.kind) track delivered no frames")
                incomplete.append("the \(r.track.kind) track delivered no frames")
            }
        }
        let ok = !failed && incomplete.isEmpty
        if json {
            var summary: [(String, JSONValue)] = [("ok", .bool(ok))]
            if !incomplete.isEmpty { summary.append(("error", .string(incomplete.joined(separator: "; ")))) }
            Output.print(.object(summary + entries))
        } else {
            for (kind, entry) in entries { print(CaptureCommand.describe(kind, entry)) }
        }
        if failed { throw ExitCode(1) }
        if !incomplete.isEmpty { throw ExitCode(CaptureCommand.incompleteStatus) }
    }

    /// The exit status of a capture that delivered nothing or ended early.
    static let incompleteStatus: Int32 = 3

    static func describe(_ kind: String, _ e: JSONValue) -> String {
        func n(_ k: String) -> String { e[k].map { $0.serialized } ?? "?" }
        if kind == "video" {
            var s = "video: \(n("frames")) frames \(n("width"))x\(n("height")), measured \(n("measuredFrameRate")) fps (setting \(n("frameRate")) fps)"
            if let f = e["file"], case .string(let path) = f { s += " -> \(path)" }
            return s
        }
        var s = "audio: \(n("seconds")) s at \(n("sampleRate")) Hz, \(n("channelCount")) channel(s), \(n("samples")) sample frames"
        if let f = e["file"], case .string(let path) = f { s += " -> \(path)" }
        return s
    }
}

/// Counts and writes one track's frames; sinks run on the device's thread, so the writer is
/// behind a lock.
final class Recorder: Sendable {
    let track: MediaStreamTrack
    private struct State {
        var frames = 0
        var samples = 0
        var first: UInt64?
        var last: UInt64?
        var error: String?
        var width = 0, height = 0, rate = 0, channels = 0
    }
    private let state = Mutex(State())
    private let video: Mutex<(any VideoFileSink)?>
    private let audio: Mutex<(any AudioFileSink)?>
    private let videoPath: String?
    private let audioPath: String?

    /// The recorder of `track`, its file opened for the track's settings and its sink added.
    static func make(for track: MediaStreamTrack, videoOut: String?, audioOut: String?,
                     maxBitrate: Int?) throws(TrackFileSinkError) -> Recorder {
        let s = track.getSettings()
        do {
            if track.deviceKind == .videoinput {
                let r = Recorder(track: track, videoWriter: try videoOut.map { try TrackFileSinks.video(path: $0, settings: s, maxBitrate: maxBitrate) },
                                 audioWriter: nil)
                track.addVideoSink { r.write($0) }
                return r
            }
            let r = Recorder(track: track, videoWriter: nil, audioWriter: try audioOut.map { try TrackFileSinks.audio(path: $0, settings: s) })
            track.addAudioSink { r.write($0) }
            return r
        } catch let e as TrackFileSinkError {
            throw e
        } catch {
            throw TrackFileSinkError("\(error)")
        }
    }

    init(track: MediaStreamTrack, videoWriter: sending (any VideoFileSink)?, audioWriter: sending (any AudioFileSink)?) {
        self.track = track
        self.videoPath = nil
        self.audioPath = nil
        self.video = Mutex(videoWriter)
        self.audio = Mutex(audioWriter)
    }

    func write(_ frame: VideoFrame) {
        let err: String? = video.withLock { w -> String? in
            guard let writer = w else { return nil }
            do { try writer.write(frame) } catch { return "\(error)" }
            return nil
        }
        state.withLock { s in
            s.frames += 1
            if s.first == nil { s.first = frame.timestamp }
            s.last = frame.timestamp
            s.width = frame.width; s.height = frame.height
            if let err, s.error == nil { s.error = err }
        }
    }

    func write(_ frame: AudioFrame) {
        let err: String? = audio.withLock { w -> String? in
            guard let writer = w else { return nil }
            do { try writer.write(frame) } catch { return "\(error)" }
            return nil
        }
        state.withLock { s in
            s.frames += 1
            s.samples += frame.frameCount
            s.rate = frame.sampleRate; s.channels = frame.channelCount
            if s.first == nil { s.first = frame.timestamp }
            s.last = frame.timestamp
            if let err, s.error == nil { s.error = err }
        }
    }

    /// A short running count for the progress line: "video 42 frames", "audio 4.2 s".
    var progress: String {
        let s = state.withLock { $0 }
        if track.deviceKind == .videoinput { return "video \(s.frames) frames" }
        return String(format: "audio %.1f s", s.rate > 0 ? Double(s.samples) / Double(s.rate) : 0)
    }

    /// Closes the file and returns the summary entry, the first error, and how many frames
    /// arrived.
    func finish() -> (JSONValue, String?, Int) {
        var closeError: String?
        video.withLock { w in
            if let writer = w {
                do { try writer.close() } catch { closeError = "\(error)" }
            }
            w = nil
        }
        audio.withLock { w in
            if let writer = w {
                do { try writer.close() } catch { closeError = "\(error)" }
            }
            w = nil
        }
        let s = state.withLock { $0 }
        let settings = track.getSettings()
        var m: [(String, JSONValue)] = []
        if track.deviceKind == .videoinput {
            var fps = 0.0
            if let a = s.first, let b = s.last, b > a, s.frames > 1 { fps = Double(s.frames - 1) / (Double(b - a) / 1e9) }
            m = [("frames", .number(Double(s.frames))), ("width", .number(Double(settings.width ?? s.width))),
                 ("height", .number(Double(settings.height ?? s.height))),
                 ("frameRate", .number(settings.frameRate ?? 0)),
                 ("measuredFrameRate", .number((fps * 100).rounded() / 100))]
        } else {
            let rate = settings.sampleRate ?? s.rate
            m = [("samples", .number(Double(s.samples))),
                 ("seconds", .number(rate > 0 ? (Double(s.samples) / Double(rate) * 1000).rounded() / 1000 : 0)),
                 ("sampleRate", .number(Double(rate))), ("channelCount", .number(Double(settings.channelCount ?? s.channels)))]
        }
        m.append(("settings", settings.json))
        return (.object(m), closeError ?? s.error, s.frames)
    }
}
