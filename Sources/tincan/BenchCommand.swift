import ArgumentParser
import Foundation
import MediaCapture
import MediaCodecs
import MediaPrimitives
#if canImport(Glibc)
import Glibc
#endif

/// `tincan bench`: Tincan's VP8 encode path against raw `vpxenc` on the same frames, same
/// settings, in the same run, printed as JSON.
struct BenchCommand: ParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark Tincan's VP8 encode path against raw vpxenc on the same synthetic frames (JSON).",
        discussion: """
        For every case a synthetic moving pattern is written to a Y4M file first (not timed). \
        Then Tincan reads that file with Y4MReader and encodes every frame with VP8Encoder, \
        writing an IVF; the timed section is that loop (file read + encode + IVF write), \
        measured with getrusage(RUSAGE_SELF) (all threads, libvpx's included). Then vpxenc \
        encodes the same file to IVF with the same settings; its time is getrusage(RUSAGE_CHILDREN) \
        around the child (read + encode + write, plus process start-up). The ratio is \
        Tincan CPU seconds / vpxenc CPU seconds. Sizes and bitrates are paired when their \
        counts match (default: 640x480 at 1 Mbit/s, 1280x720 at 2.5 Mbit/s), crossed otherwise or with --matrix.
        """
    )

    @OptionGroup var logging: LoggingOptions
    @Option(help: "Frames per case.") var frames: Int = 600
    @Option(help: "Comma-separated sizes, WxH.") var sizes: String = "640x480,1280x720"
    @Option(help: "Comma-separated target bitrates in bit/s (or with k/M suffix).") var bitrates: String = "1M,2.5M"
    @Option(help: "Frame rate of the synthetic video.") var frameRate: Int = 30
    @Option(help: "Directory for the Y4M and IVF files (default: a new one under /tmp, removed after).") var dir: String?
    @Option(help: "Path of vpxenc.") var vpxenc: String = "/usr/bin/vpxenc"
    @Flag(help: "A short run: 150 frames per case.") var quick = false
    @Flag(help: "Every size at every bitrate (default: paired when the counts match).") var matrix = false
    @Flag(help: "Print only vpxenc's options for Tincan's VP8 settings per case (JSON; scripts/bench-pipeline runs vpxenc with them), encode nothing.")
    var vpxencSettings = false

    struct Usage: Codable {
        var cpuSeconds: Double
        var userSeconds: Double
        var systemSeconds: Double
        var wallSeconds: Double
        var framesPerSecond: Double
        var framesPerCPUSecond: Double
        var bytes: Int
        var bitrate: Int
    }

    struct Case: Codable {
        var width: Int
        var height: Int
        var frames: Int
        var frameRate: Int
        var targetBitrate: Int
        var cpuUsed: Int
        var threads: Int
        var tokenPartitions: Int
        var tincan: Usage
        /// CPU seconds spent inside VP8Encoder.encode calls only (a subset of tincan.cpuSeconds).
        var tincanEncodeCallsCPUSeconds: Double
        var vpxenc: Usage
        var vpxencCommand: String
        /// tincan.cpuSeconds / vpxenc.cpuSeconds: the figure the goal "<= 1.1" is about.
        var cpuRatio: Double
        var fpsRatio: Double
        /// Both produced the same VP8 frames byte for byte: proof that the settings match.
        var identicalBitstream: Bool
    }

    struct Report: Codable {
        var command: String
        var timed: [String: String]
        var machine: [String: String]
        var vpxencVersion: String
        var cases: [Case]
        var maxCPURatio: Double
    }

    func run() throws {
        let count = quick ? min(frames, 150) : frames
        guard count > 0 else { throw ValidationError("--frames must be positive") }
        let sizeList = try sizes.split(separator: ",").map { s -> (Int, Int) in
            let p = s.lowercased().split(separator: "x")
            guard p.count == 2, let w = Int(p[0]), let h = Int(p[1]), w > 0, h > 0, w % 2 == 0, h % 2 == 0 else {
                throw ValidationError("bad size \(s): use even WxH")
            }
            return (w, h)
        }
        let rateList = try bitrates.split(separator: ",").map { try Self.parseBitrate(String($0)) }
        guard !sizeList.isEmpty, !rateList.isEmpty else { throw ValidationError("no sizes or bitrates") }
        var pairs: [((Int, Int), Int)] = []
        if sizeList.count == rateList.count && !matrix {
            pairs = Array(zip(sizeList, rateList))
        } else {
            for s in sizeList { for r in rateList { pairs.append((s, r)) } }
        }
        if vpxencSettings {
            let list: [JSONValue] = pairs.map { size, rate in
                let config = VP8EncoderConfiguration(width: size.0, height: size.1, frameRate: Double(frameRate), maxBitrate: rate)
                return .object([("width", .number(Double(size.0))), ("height", .number(Double(size.1))),
                                ("maxBitrate", .number(Double(rate))),
                                ("arguments", .array(Self.vpxencSettings(config).map { .string($0) }))])
            }
            print(JSONValue.array(list).serialized)
            return
        }
        guard FileManager.default.isExecutableFile(atPath: vpxenc) else {
            throw ValidationError("\(vpxenc) not found: install Debian's vpx-tools (scripts/install-deps --tests)")
        }
        let workDir = dir ?? (NSTemporaryDirectory() + "tincan-bench-\(getpid())")
        try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: workDir) } }

        let loadBefore = Self.loadAverage()
        var cases: [Case] = []
        for ((w, h), rate) in pairs {
            cases.append(try runCase(width: w, height: h, bitrate: rate, count: count, dir: workDir))
        }
        let report = Report(
            command: CommandLine.arguments.joined(separator: " "),
            timed: [
                "tincan": "read each frame from the Y4M file (Y4MReader), VP8Encoder.encode, write IVF; getrusage(RUSAGE_SELF) user+sys over the loop, all threads",
                "vpxenc": "the whole vpxenc process (start-up, Y4M read, encode, IVF write); getrusage(RUSAGE_CHILDREN) user+sys",
                "excluded": "generating the synthetic frames and writing the Y4M file",
                "cpuRatio": "tincan.cpuSeconds / vpxenc.cpuSeconds",
            ],
            machine: [
                "cores": String(VP8Encoder.onlineCores),
                "loadAverageBefore": loadBefore,
                "loadAverageAfter": Self.loadAverage(),
                "note": "cores shared with other processes; load averages show how busy the machine was",
            ],
            vpxencVersion: Self.vpxencVersion(vpxenc),
            cases: cases,
            maxCPURatio: cases.map(\.cpuRatio).max() ?? 0
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }

    static func parseBitrate(_ s: String) throws -> Int {
        var text = s.trimmingCharacters(in: .whitespaces)
        var scale = 1.0
        if text.hasSuffix("M") || text.hasSuffix("m") { scale = 1e6; text.removeLast() }
        else if text.hasSuffix("k") || text.hasSuffix("K") { scale = 1e3; text.removeLast() }
        guard let v = Double(text), v > 0 else { throw ValidationError("bad bitrate \(s)") }
        return Int(v * scale)
    }

    func runCase(width: Int, height: Int, bitrate: Int, count: Int, dir: String) throws -> Case {
        let y4m = dir + "/in-\(width)x\(height).y4m"
        // Not timed: the synthetic frames, written once for both encoders.
        let pattern = MovingPattern(width: width, height: height)
        let writer = try Y4MWriter(path: y4m, width: width, height: height, frameRate: Double(frameRate))
        for i in 0..<count { try writer.write(pattern.frame(i, timestamp: 0)) }
        try writer.close()
        defer { try? FileManager.default.removeItem(atPath: y4m) }

        let config = VP8EncoderConfiguration(width: width, height: height, frameRate: Double(frameRate), targetBitrate: bitrate)
        let interval = 1_000_000_000 / UInt64(frameRate)

        // Tincan: read + encode + write, in this process.
        let tincanIVF = dir + "/tincan.ivf"
        let start = Self.usage(RUSAGE_SELF), wallStart = MonotonicClock.now()
        var encodeCPU = 0.0, bytes = 0
        do {
            let encoder = try VP8Encoder(configuration: config)
            let reader = try Y4MReader(path: y4m)
            let ivf = try IVFWriter(path: tincanIVF, width: width, height: height)
            var i: UInt64 = 0
            // Exactly 1/frameRate apart on the capture clock (start 1 s to look like a real clock).
            while let frame = try reader.nextFrame(timestamp: 1_000_000_000 + i * interval + (i * (1_000_000_000 % UInt64(frameRate))) / UInt64(frameRate)) {
                let before = Self.usage(RUSAGE_SELF)
                let out = try encoder.encode(frame)
                encodeCPU += Self.usage(RUSAGE_SELF).cpu - before.cpu
                for f in out { try ivf.write(f); bytes += f.data.count }
                i += 1
            }
            for f in try encoder.flush() { try ivf.write(f); bytes += f.data.count }
            try ivf.close()
        }
        let wall = Double(MonotonicClock.now() - wallStart) / 1e9
        let end = Self.usage(RUSAGE_SELF)
        let tincan = Self.makeUsage(start: start, end: end, wall: wall, frames: count, bytes: bytes, frameRate: frameRate)

        // vpxenc: the same file, the same settings.
        let vpxIVF = dir + "/vpxenc.ivf"
        let args = Self.vpxencSettings(config) + ["--limit=\(count)", "--quiet", "--ivf", "-o", vpxIVF, y4m]
        let childStart = Self.usage(RUSAGE_CHILDREN), childWall = MonotonicClock.now()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: vpxenc)
        process.arguments = args
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let childWallSeconds = Double(MonotonicClock.now() - childWall) / 1e9
        let childEnd = Self.usage(RUSAGE_CHILDREN)
        guard process.terminationStatus == 0 else {
            throw ValidationError("vpxenc failed (\(process.terminationStatus)): \(vpxenc) \(args.joined(separator: " "))")
        }
        let vpxFrames = try IVFReader(path: vpxIVF).readAll()
        let tincanFrames = try IVFReader(path: tincanIVF).readAll()
        let vpx = Self.makeUsage(start: childStart, end: childEnd, wall: childWallSeconds, frames: count,
                                 bytes: vpxFrames.reduce(0) { $0 + $1.data.count }, frameRate: frameRate)
        try? FileManager.default.removeItem(atPath: tincanIVF)
        try? FileManager.default.removeItem(atPath: vpxIVF)

        return Case(width: width, height: height, frames: count, frameRate: frameRate, targetBitrate: config.effectiveBitrate,
                    cpuUsed: config.effectiveCPUUsed, threads: config.effectiveThreads, tokenPartitions: config.effectiveTokenPartitions,
                    tincan: tincan, tincanEncodeCallsCPUSeconds: Self.round(encodeCPU), vpxenc: vpx,
                    vpxencCommand: ([vpxenc] + args).joined(separator: " "),
                    cpuRatio: Self.round(tincan.cpuSeconds / max(vpx.cpuSeconds, 1e-9)),
                    fpsRatio: Self.round(tincan.framesPerSecond / max(vpx.framesPerSecond, 1e-9)),
                    identicalBitstream: tincanFrames.map(\.data) == vpxFrames.map(\.data))
    }

    /// vpxenc's options for the encoder settings Tincan's sender opens `config` with (the same
    /// VP8 frames byte for byte: see `identicalBitstream`), without input, output or limit.
    static func vpxencSettings(_ config: VP8EncoderConfiguration) -> [String] {
        [
            "--codec=vp8", "--passes=1", "--rt", "--lag-in-frames=0",
            "--cpu-used=\(config.effectiveCPUUsed)", "--end-usage=cbr", "--target-bitrate=\(config.effectiveBitrate / 1000)",
            "--threads=\(config.effectiveThreads)", "--token-parts=\(config.effectiveTokenPartitions)",
            "--error-resilient=\(config.errorResilient ? 1 : 0)", "--kf-max-dist=\(config.keyframeInterval)",
            "--min-q=\(config.minQuantizer)", "--max-q=\(config.maxQuantizer)",
            "--undershoot-pct=\(config.undershootPercent)", "--overshoot-pct=\(config.overshootPercent)",
            "--buf-sz=\(config.bufferSize)", "--buf-initial-sz=\(config.bufferInitialSize)", "--buf-optimal-sz=\(config.bufferOptimalSize)",
            "--drop-frame=\(config.frameDropThreshold)", "--resize-allowed=0", "--static-thresh=\(config.staticThreshold)",
            "--noise-sensitivity=0", "--max-intra-rate=\(config.maxIntraBitratePercent)", "--timebase=1/90000",
        ]
    }

    struct CPU { var user: Double; var system: Double; var cpu: Double { user + system } }

    static func usage(_ who: __rusage_who) -> CPU {
        var r = rusage()
        getrusage(__rusage_who_t(truncatingIfNeeded: who.rawValue), &r)
        return CPU(user: Double(r.ru_utime.tv_sec) + Double(r.ru_utime.tv_usec) / 1e6,
                   system: Double(r.ru_stime.tv_sec) + Double(r.ru_stime.tv_usec) / 1e6)
    }

    static func makeUsage(start: CPU, end: CPU, wall: Double, frames: Int, bytes: Int, frameRate: Int) -> Usage {
        let cpu = end.cpu - start.cpu
        return Usage(cpuSeconds: round(cpu), userSeconds: round(end.user - start.user), systemSeconds: round(end.system - start.system),
                     wallSeconds: round(wall), framesPerSecond: round(Double(frames) / max(wall, 1e-9)),
                     framesPerCPUSecond: round(Double(frames) / max(cpu, 1e-9)), bytes: bytes,
                     bitrate: Int(Double(bytes * 8) * Double(frameRate) / Double(frames)))
    }

    static func round(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }

    static func vpxencVersion(_ path: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--help"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        guard (try? process.run()) != nil else { return "?" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n").first { $0.contains("vp8") && $0.contains("WebM Project") }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "?"
    }
}
