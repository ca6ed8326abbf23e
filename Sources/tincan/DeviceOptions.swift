import ArgumentParser
import Foundation
import MediaCapture
import MediaPrimitives

/// The device options every command shares.
struct DeviceOptions: ParsableArguments {
    @Flag(name: .customLong("fake-devices"), help: "Use the built-in synthetic camera (moving pattern with a frame counter) and microphone (440 Hz tone).")
    var fakeDevices = false

    @Option(name: .customLong("devices-file"), help: ArgumentHelp("Fake devices described by a JSON file ({\"devices\": [...]}).", valueName: "file.json"))
    var devicesFile: String?

    @Option(name: .customLong("video-file"), help: ArgumentHelp("A camera that plays a YUV4MPEG2 file in a loop.", valueName: "file.y4m"))
    var videoFile: String?

    @Option(name: .customLong("audio-file"), help: ArgumentHelp("A microphone that plays a 16-bit PCM WAV file in a loop.", valueName: "file.wav"))
    var audioFile: String?

    /// The devices these options name, or the system's when none is named.
    func devices() throws -> (video: [any VideoCaptureDevice], audio: [any AudioCaptureDevice]) {
        var video: [any VideoCaptureDevice] = []
        var audio: [any AudioCaptureDevice] = []
        if let videoFile {
            do { video.append(try Y4MFileCamera(path: videoFile)) } catch { throw ValidationError("--video-file: \(error)") }
        }
        if let audioFile {
            do { audio.append(try WAVFileMicrophone(path: audioFile)) } catch { throw ValidationError("--audio-file: \(error)") }
        }
        if let devicesFile {
            do {
                let described = try DeviceDescriptionFile(path: devicesFile)
                video += described.videoDevices
                audio += described.audioDevices
            } catch { throw ValidationError("--devices-file: \(error)") }
        }
        if fakeDevices {
            video.append(SyntheticCamera())
            audio.append(SyntheticMicrophone())
        }
        if videoFile == nil, audioFile == nil, devicesFile == nil, !fakeDevices {
            return systemDevices()
        }
        return (video, audio)
    }

    /// Capture may be disabled by policy (SecurityError): TINCAN_CAPTURE_DISABLED=1.
    static var captureAllowedByPolicy: Bool {
        let v = ProcessInfo.processInfo.environment["TINCAN_CAPTURE_DISABLED"] ?? ""
        return v.isEmpty || v == "0"
    }
}

/// --allow and --deny.
struct PermissionOptions: ParsableArguments {
    @Option(name: .customLong("allow"), help: ArgumentHelp("Grant permission for this run: camera, microphone, or both (comma-separated).", valueName: "camera,microphone"))
    var allow: [String] = []

    @Option(name: .customLong("deny"), help: ArgumentHelp("Deny permission (for tests): camera, microphone, or both.", valueName: "camera,microphone"))
    var deny: [String] = []

    static func names(_ lists: [String], option: String) throws -> Set<PermissionName> {
        var out = Set<PermissionName>()
        for item in lists.flatMap({ $0.split(separator: ",") }) {
            let word = item.trimmingCharacters(in: .whitespaces)
            if word == "all" { out.formUnion(PermissionName.allCases); continue }
            guard let name = PermissionName(rawValue: word) else {
                throw ValidationError("\(option): '\(word)' is not camera, microphone or all")
            }
            out.insert(name)
        }
        return out
    }

    func allowed() throws -> Set<PermissionName> { try Self.names(allow, option: "--allow") }

    /// An "always" answer that could not be stored: this run keeps the grant.
    static let logRememberFailure: @Sendable (any Error) -> Void = { error in
        CLILog.capture.warning("could not remember the permission (\(PermissionStore.standard().path)): \(error)")
    }
    func denied() throws -> Set<PermissionName> { try Self.names(deny, option: "--deny") }

    /// The command line's permission flow: the library's broker, with this tool's flags as the
    /// way to grant (the library's own messages name none) and its name in the prompt.
    func broker() throws -> InteractivePermissions {
        InteractivePermissions(store: PermissionStore.standard(), allowed: try allowed(), denied: try denied(),
                               prompt: InteractivePermissions.terminalPrompt(asking: "tincan"),
                               howToGrant: Self.howToGrant, whyDenied: Self.whyDenied,
                               rememberFailed: Self.logRememberFailure)
    }

    static let howToGrant: @Sendable ([PermissionName]) -> String = { missing in
        "run with --allow \(missing.map(\.rawValue).joined(separator: ",")), or answer \"always\" at the prompt on a terminal (revoke with: tincan permissions --revoke all)"
    }
    static let whyDenied: @Sendable (PermissionName) -> String = { name in "--deny \(name.rawValue)" }
}

/// Printing JSON and errors.
enum Output {
    static func print(_ value: JSONValue) {
        Swift.print(value.serialized)
    }

    static func error(_ e: MediaStreamError) -> JSONValue { .object(errorMembers(e)) }

    /// The library says what is missing; the command line adds which of its options gives it.
    static func withHint(_ e: MediaStreamError) -> MediaStreamError {
        guard e.name == .notFoundError, e.constraint == nil else { return e }
        var hinted = e
        if e.message.hasPrefix("no camera found") {
            hinted.message = "no camera found; try --fake-devices, --video-file F.y4m or --devices-file F.json"
        } else if e.message.hasPrefix("no microphone found") {
            hinted.message = "no microphone found; try --fake-devices, --audio-file F.wav or --devices-file F.json"
        }
        return hinted
    }

    /// {"ok": false, "error": name, "constraint": ..., "message": ...} as members, to add to.
    static func errorMembers(_ error: MediaStreamError) -> [(String, JSONValue)] {
        let e = withHint(error)
        var m: [(String, JSONValue)] = [("ok", .bool(false)), ("error", .string(e.name.rawValue))]
        if let c = e.constraint { m.append(("constraint", .string(c))) }
        m.append(("message", .string(e.message)))
        return m
    }

    static func stderr(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
