import ArgumentParser
import Foundation
import MediaCapture
import MediaPrimitives

/// `tincan select`: resolve getUserMedia (and applyConstraints) without capturing.
struct SelectCommand: AsyncParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        commandName: "select",
        abstract: "Show the settings getUserMedia would choose, without opening any device.",
        discussion: """
        Prints one JSON object: {"ok": true, "video": {settings}, "audio": {settings}, "apply": [...]} or {"ok": false, "error": "<DOM error name>", "constraint": ..., "message": ...}. "video" and "audio" are the settings getUserMedia resolved with; a kind not in the stream is absent. Each --apply-video / --apply-audio runs applyConstraints on the track of that kind, in the order given, and its entry in "apply" carries the settings after that step; a failed one leaves the settings as they were. No device opens, so permission counts as granted unless --deny names the kind.

        Exit status: 0 when getUserMedia resolved, 1 when it rejected, 2 for usage errors.

        Examples:
          tincan select --fake-devices --constraints \\
            '{"video": {"width": 1280, "height": 720,
                        "frameRate": {"ideal": 10, "max": 15}}}'
          tincan select --fake-devices \\
            --constraints '{"video": {"width": {"min": 5000}}}'
          tincan select --fake-devices --constraints '{"video": true}' \\
            --apply-video '{"width": 320, "height": 240}'
          tincan select --devices-file devices.json --constraints \\
            '{"video": {"facingMode": {"exact": "environment"}}}'
        """
    )

    @OptionGroup var logging: LoggingOptions
    @OptionGroup var deviceOptions: DeviceOptions

    @Option(help: ArgumentHelp("MediaStreamConstraints as JSON, as a page passes to getUserMedia.", valueName: "json"))
    var constraints: String

    @Option(name: .customLong("apply-video"), help: ArgumentHelp("Then applyConstraints(JSON) on the video track (repeatable).", valueName: "json"))
    var applyVideo: [String] = []

    @Option(name: .customLong("apply-audio"), help: ArgumentHelp("Then applyConstraints(JSON) on the audio track (repeatable).", valueName: "json"))
    var applyAudio: [String] = []

    @Option(name: .customLong("deny"), help: ArgumentHelp("Deny permission for camera and/or microphone (comma-separated).", valueName: "camera,microphone"))
    var deny: [String] = []

    func run() async throws {
        let (video, audio) = try deviceOptions.devices()
        let denied = try PermissionOptions.names(deny, option: "--deny")
        // No device opens here, so permission counts as granted unless --deny names it.
        let media = MediaDevices(videoDevices: video, audioDevices: audio,
                                 permissions: StaticPermissions(granted: Set(PermissionName.allCases), denied: denied,
                                                                hint: "remove --deny to grant it"),
                                 indicator: SilentCaptureIndicator(),
                                 options: .init(captureAllowedByPolicy: DeviceOptions.captureAllowedByPolicy))
        let stream: MediaStream
        do {
            stream = try await media.getUserMedia(jsonText: constraints, startCapture: false)
        } catch {
            Output.print(Output.error(error))
            throw ExitCode(1)
        }
        // The settings getUserMedia resolved with, before any --apply-*: each apply entry
        // carries the settings after its own step.
        var out: [(String, JSONValue)] = [("ok", .bool(true))]
        if let v = stream.getVideoTracks().first { out.append(("video", v.getSettings().json)) }
        if let a = stream.getAudioTracks().first { out.append(("audio", a.getSettings().json)) }
        var applied: [JSONValue] = []
        for (kind, json) in SelectCommand.applyOrder(video: applyVideo, audio: applyAudio) {
            guard let track = (kind == "video" ? stream.getVideoTracks() : stream.getAudioTracks()).first else {
                applied.append(Output.error(MediaStreamError(.notFoundError, "there is no \(kind) track to apply constraints to; request \(kind) in --constraints")))
                continue
            }
            do {
                try await track.applyConstraints(jsonText: json)
                applied.append(.object([("ok", .bool(true)), ("kind", .string(kind)), ("settings", track.getSettings().json)]))
            } catch {
                // A failed step leaves the settings as they were: say what they still are.
                var entry = Output.errorMembers(error)
                entry.insert(("kind", .string(kind)), at: 1)
                entry.append(("settings", track.getSettings().json))
                applied.append(.object(entry))
            }
        }
        out.append(("apply", .array(applied)))
        Output.print(.object(out))
        for t in stream.getTracks() { t.stop() }
    }

    /// The --apply-video and --apply-audio values in the order they stand on the command line.
    static func applyOrder(video: [String], audio: [String]) -> [(String, String)] {
        var kinds: [String] = []
        for arg in CommandLine.arguments {
            if arg == "--apply-video" || arg.hasPrefix("--apply-video=") { kinds.append("video") }
            if arg == "--apply-audio" || arg.hasPrefix("--apply-audio=") { kinds.append("audio") }
        }
        var v = video[...], a = audio[...]
        var out: [(String, String)] = []
        for k in kinds {
            if k == "video", let x = v.popFirst() { out.append((k, x)) }
            if k == "audio", let x = a.popFirst() { out.append((k, x)) }
        }
        out += v.map { ("video", $0) } + a.map { ("audio", $0) }
        return out
    }
}
