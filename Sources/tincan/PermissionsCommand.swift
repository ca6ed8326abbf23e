import ArgumentParser
import MediaCapture

/// `tincan permissions`: show, grant or revoke remembered ("always") permissions.
struct PermissionsCommand: ParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        commandName: "permissions",
        abstract: "Show or revoke the remembered camera and microphone permissions.",
        discussion: """
        Answering "always" at the prompt remembers the permission in $XDG_CONFIG_HOME/tincan/permissions (or ~/.config/tincan/permissions). Revoking keeps nothing; the next capture asks again.

        Examples:
          tincan permissions
          tincan permissions --revoke camera
          tincan permissions --revoke all
          tincan permissions --grant microphone
        """
    )

    @OptionGroup var logging: LoggingOptions
    @Option(help: ArgumentHelp("Forget the permission: camera, microphone or all.", valueName: "camera|microphone|all"))
    var revoke: [String] = []

    @Option(help: ArgumentHelp("Remember the permission as if answered \"always\": camera, microphone or all.", valueName: "camera|microphone|all"))
    var grant: [String] = []

    func run() throws {
        let store = PermissionStore.standard()
        let toRevoke = try PermissionOptions.names(revoke, option: "--revoke")
        let toGrant = try PermissionOptions.names(grant, option: "--grant")
        do {
            if !toRevoke.isEmpty { try store.revoke(Array(toRevoke)) }
            if !toGrant.isEmpty { try store.grant(Array(toGrant)) }
        } catch {
            Output.stderr("tincan: \(error)")
            throw ExitCode(1)
        }
        let granted = store.granted()
        for name in PermissionName.allCases {
            print("\(name.rawValue): \(granted.contains(name) ? "always allowed" : "ask")")
        }
        print("(stored in \(store.path))")
    }
}
