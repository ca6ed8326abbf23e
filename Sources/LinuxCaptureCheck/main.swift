// linux-capture-check: the project's own capture code against real kernel drivers (vivid,
// snd-aloop) inside the VM that scripts/vm/run-checks boots. Usage:
//   linux-capture-check [video] [audio] [permission]   (video and audio when none is named;
//                                                       permission drops root: run it last)
//   linux-capture-check probe PCM...                    (diagnostic: open ALSA PCMs)
#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments.dropFirst()
if arguments.first == "probe" {
    probe(Array(arguments.dropFirst()))
    exit(0)
}
let groups = arguments.isEmpty ? ["video", "audio"] : Array(arguments)
let runner = CheckRunner()
for group in groups {
    switch group {
    case "video": videoChecks(runner)
    case "audio": audioChecks(runner)
    case "permission": permissionChecks(runner)
    default:
        runner.emit("FAIL arguments: unknown check group \(group) (video, audio)")
        exit(2)
    }
}
runner.emit("linux-capture-check: \(runner.passed) passed, \(runner.failed) failed")
exit(runner.failed == 0 ? 0 : 1)
