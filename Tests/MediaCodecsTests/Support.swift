import Foundation
import MediaCapture
import MediaCodecs
@testable import MediaCodecs
import MediaPrimitives

/// Helpers shared by the MediaCodecs tests: external oracles, temp files, measurements.
enum Support {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// A fresh temporary directory for one test.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "tincan-codecs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Makes sure a vpx-tools / opus-tools binary exists. The test setup installs these
    /// oracles (scripts/install-deps --tests, run by scripts/test); without one the test
    /// fails, naming the step to run.
    static func requireTool(_ name: String) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/\(name)") else {
            throw CodecError(codec: "test", "\(name) is not installed: run scripts/install-deps --tests")
        }
    }

    struct Output { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ executable: String, _ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // The tools print little; stdout is drained before stderr, then the process is reaped.
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }

    /// Luma PSNR in dB of two same-size I420 frames.
    static func psnr(_ a: VideoFrame, _ b: VideoFrame) -> Double {
        VideoQuality.lumaPSNR(a, b) ?? 0
    }

    /// Frequency of a clean tone from its rising zero crossings, interpolated between samples.
    static func toneFrequency(_ samples: [Int16], channelCount: Int, sampleRate: Int) -> Double {
        let mono = stride(from: 0, to: samples.count - channelCount + 1, by: channelCount).map { Double(samples[$0]) }
        var crossings: [Double] = []
        for i in 1..<mono.count where mono[i - 1] < 0 && mono[i] >= 0 {
            crossings.append(Double(i - 1) + (-mono[i - 1]) / (mono[i] - mono[i - 1]))
        }
        guard let first = crossings.first, let last = crossings.last, crossings.count > 2 else { return 0 }
        return Double(crossings.count - 1) * Double(sampleRate) / (last - first)
    }

    /// Encodes `count` frames of the moving pattern spaced `interval` ns apart.
    static func encodePattern(_ encoder: VP8Encoder, pattern: MovingPattern, count: Int, interval: UInt64,
                              start: UInt64 = 1_000_000_000, keep: ((VideoFrame, [EncodedVideoFrame]) -> Void)? = nil) throws -> [EncodedVideoFrame] {
        var out: [EncodedVideoFrame] = []
        for i in 0..<count {
            let frame = pattern.frame(i, timestamp: start + UInt64(i) * interval)
            let encoded = try encoder.encode(frame)
            keep?(frame, encoded)
            out += encoded
        }
        return out
    }
}
