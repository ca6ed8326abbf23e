// linux-capture-check: the project's own capture code against real kernel drivers (vivid,
// snd-aloop) inside the VM that scripts/vm/run-checks boots. Usage:
//   linux-capture-check [video] [audio]     (both when none is named)
#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments.dropFirst()
let groups = arguments.isEmpty ? ["video", "audio"] : Array(arguments)
let runner = CheckRunner()
for group in groups {
    switch group {
    case "video": videoChecks(runner)
    case "audio": audioChecks(runner)
    default:
        runner.emit("FAIL arguments: unknown check group \(group) (video, audio)")
        exit(2)
    }
}
runner.emit("linux-capture-check: \(runner.passed) passed, \(runner.failed) failed")
exit(runner.failed == 0 ? 0 : 1)
