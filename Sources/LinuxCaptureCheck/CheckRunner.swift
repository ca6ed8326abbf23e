#if canImport(Glibc)
import Glibc
#endif

/// Prints one line per check, "PASS <name>: <detail>" or "FAIL <name>: <detail>", which
/// scripts/vm/run-checks counts; the process exits non-zero when any check failed.
struct CheckFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

final class CheckRunner {
    private(set) var passed = 0
    private(set) var failed = 0

    func run(_ name: String, _ body: () throws -> String) {
        let started = MonotonicClockSeconds.now()
        do {
            let detail = try body()
            passed += 1
            emit("PASS \(name): \(detail) [\(format(MonotonicClockSeconds.now() - started, 2)) s]")
        } catch let failure as CheckFailure {
            failed += 1
            emit("FAIL \(name): \(failure.message)")
        } catch {
            failed += 1
            emit("FAIL \(name): \(error)")
        }
    }

    func emit(_ line: String) {
        print(line)
        fflush(nil)  // every stream: lines reach the serial console as they happen
    }
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw CheckFailure(message()) }
}

/// "12.35" without Foundation's String(format:).
func format(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    var frac = String(Int(scaled) - whole * Int(scale))
    while frac.count < decimals { frac = "0" + frac }
    return (value < 0 ? "-" : "") + "\(whole)" + (decimals > 0 ? "." + frac : "")
}

enum MonotonicClockSeconds {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Sleeps on the calling thread (the checks are plain sequential code).
func sleepSeconds(_ seconds: Double) {
    guard seconds > 0 else { return }
    usleep(UInt32(seconds * 1e6))
}

/// Writes `text` to a sysfs attribute (unbinding a driver simulates unplugging a device).
func writeSysfs(_ path: String, _ text: String) -> Bool {
    let fd = open(path, O_WRONLY)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return text.withCString { write(fd, $0, strlen($0)) } >= 0
}
