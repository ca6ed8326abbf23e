import ArgumentParser
import Logging

/// `--log-level`, as tincan-signal has it: the library's logs (tincan.ice, tincan.dtls,
/// tincan.rtp, tincan.peerconnection, tincan.capture, tincan.codecs, tincan.signaling,
/// tincan.window) on standard error. Standard output stays the command's own (JSON, reports).
struct LoggingOptions: ParsableArguments {
    /// Warnings by default: what the library used to print itself, and nothing routine.
    static let defaultLevel = Logger.Level.warning

    @Option(name: .customLong("log-level"), help: ArgumentHelp(
        "Library log level on standard error: trace, debug (ICE checks, DTLS flights, RTCP feedback), info, notice, warning, error, critical.",
        valueName: "level"))
    var logLevel: String = LoggingOptions.defaultLevel.rawValue

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level: unknown level '\(logLevel)' (trace, debug, info, notice, warning, error, critical)")
        }
    }

    var level: Logger.Level { Logger.Level(rawValue: logLevel) ?? Self.defaultLevel }

    /// The level a parsed command asked for (the default for commands without the option).
    static func level(of command: any ParsableCommand) -> Logger.Level {
        (command as? any LoggingCommand)?.logging.level ?? defaultLevel
    }

    /// Once per process, before any library logger exists: swift-log's default would write
    /// info lines to standard output, into the command's JSON.
    static func bootstrap(_ level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// A command with `--log-level` (every subcommand).
protocol LoggingCommand {
    var logging: LoggingOptions { get }
}

/// Logs of the command line itself: capture (permissions not remembered) and the calls.
enum CLILog {
    static let capture = Logger(label: "tincan.capture")
    static let call = Logger(label: "tincan.call")
}
