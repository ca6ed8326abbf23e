import ArgumentParser
import Foundation

@main
struct Tincan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tincan",
        abstract: "getUserMedia for Linux: capture, encode and send a camera and microphone over WebRTC.",
        discussion: """
        Constraints are the JSON a web page passes to navigator.mediaDevices.getUserMedia(), chosen with the W3C SelectSettings algorithm. No camera or microphone opens before you allow it: answer the prompt on a terminal, or pass --allow camera,microphone.

        Examples:
          tincan devices --fake-devices
          tincan select --fake-devices --constraints \\
            '{"video": {"width": 1280, "height": 720,
                        "frameRate": {"ideal": 10, "max": 15}}}'
          tincan select --fake-devices --constraints '{"video": true}' \\
            --apply-video '{"width": {"exact": 320}}'
          tincan capture --fake-devices --allow camera,microphone \\
            --constraints '{"video": true, "audio": true}' --duration 3 \\
            --video-out out/camera.y4m --audio-out out/microphone.wav
          tincan capture --video-file clip.y4m --allow camera \\
            --constraints '{"video": {"frameRate": 10}}' --video-out out.y4m
          tincan permissions --revoke all
          tincan loopback                       # a WebRTC call to yourself on 127.0.0.1, then a report
          tincan send --allow camera,microphone --whip http://127.0.0.1:8080/whip/room1
          tincan recv --whip-listen 127.0.0.1:8080 --video-out in.ivf --audio-out in.ogg
          tincan call --allow camera,microphone --signal ws://127.0.0.1:8080 --room kitchen

        Devices: --fake-devices (synthetic camera and 440 Hz microphone), --devices-file F.json, --video-file F.y4m, --audio-file F.wav; without any of them, the system's cameras and microphones.

        Exit status: 0 success, 1 when getUserMedia rejected (the DOM error is printed), 2 for usage errors.
        """,
        subcommands: [DevicesCommand.self, SelectCommand.self, CaptureCommand.self, PermissionsCommand.self,
                      BenchCommand.self, LoopbackCommand.self, LinkCommand.self, SendCommand.self, RecvCommand.self, CallCommand.self]
    )

    /// Runs the command on the global executor while the main thread waits for it.
    ///
    /// Why not `static func main() async`: that parks the main thread in `dispatch_main()`, which
    /// ends it with `pthread_exit`, and that unwind reads `.eh_frame_hdr` and `.eh_frame`: 0.7 MB
    /// resident for the whole call, since the kernel maps a binary's pages 64 KB at a time
    /// (docs/performance.md, "Round 4"). Nothing in tincan runs on the main actor.
    ///
    /// The main thread takes the process's signals, as it did in `dispatch_main` (which waits
    /// in `sigsuspend` with an empty mask): a tincan started by a thread that blocks signals
    /// (Foundation's `Process` on a test's worker thread) inherits that mask, and every
    /// other thread blocks them too, so Ctrl-C and SIGTERM would otherwise stay pending.
    static func main() {
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        let finished = DispatchSemaphore(value: 0)
        Task.detached {
            await runCommand()
            finished.signal()
        }
        finished.wait()
    }

    /// Parses and runs the command; usage errors exit with 2 (ArgumentParser's default is 64).
    private static func runCommand() async {
        do {
            var command = try parseAsRoot()
            LoggingOptions.bootstrap(LoggingOptions.level(of: command))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
