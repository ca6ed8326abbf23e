import ArgumentParser
import MediaCapture
import MediaPrimitives

/// `tincan devices`: what enumerateDevices() returns, with capabilities.
struct DevicesCommand: ParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List cameras and microphones with their capabilities (enumerateDevices).",
        discussion: """
        Examples:
          tincan devices --fake-devices
          tincan devices --devices-file devices.json --json
        """
    )

    @OptionGroup var logging: LoggingOptions
    @OptionGroup var deviceOptions: DeviceOptions
    @Flag(help: "Print JSON (an array of MediaDeviceInfo with capabilities).")
    var json = false

    func run() throws {
        let (video, audio) = try deviceOptions.devices()
        let media = MediaDevices(videoDevices: video, audioDevices: audio, permissions: StaticPermissions(granted: []),
                                 indicator: SilentCaptureIndicator())
        let infos = media.enumerateDevices()
        if json {
            Output.print(.array(infos.map(\.json)))
            return
        }
        if infos.isEmpty {
            print("No devices. Try --fake-devices, --devices-file F.json, --video-file F.y4m or --audio-file F.wav.")
            return
        }
        for (i, info) in infos.enumerated() {
            let isDefault = !infos[..<i].contains { $0.kind == info.kind }
            print("\(info.kind.rawValue)  \(info.deviceId)\(isDefault ? "  (default)" : "")")
            print("  label:   \(info.label)")
            print("  groupId: \(info.groupId)")
            print("  capabilities: \(info.capabilities.json.serialized)")
            if info.kind == .videoinput, let device = video.first(where: { $0.deviceId == info.deviceId }) {
                let modes = device.modes.map { "\($0.width)x\($0.height)@\(JSONValue.number($0.frameRate).serialized) \($0.pixelFormat)" }
                print("  native modes: \(modes.joined(separator: ", "))")
            }
        }
    }
}
