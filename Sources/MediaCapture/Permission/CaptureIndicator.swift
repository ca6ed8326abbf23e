#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the user must be able to see (the seed's "User privacy" section): whether a camera or
/// microphone is capturing, or held (permission kept) but paused.
public enum IndicatorState: String, Sendable, Equatable {
    /// The device is open and capturing.
    case capturing
    /// The track is disabled and the device released; permission is kept.
    case paused
    /// The track has ended; the device is released.
    case off
}

public protocol CaptureIndicator: Sendable {
    func update(_ name: PermissionName, label: String, state: IndicatorState)
}

/// A line on stderr at every change (a command line's indicator), after `prefix` (the
/// program's name, say).
public struct StderrCaptureIndicator: CaptureIndicator {
    public let prefix: String
    public init(prefix: String = "") { self.prefix = prefix }
    public func update(_ name: PermissionName, label: String, state: IndicatorState) {
        let text: String
        switch state {
        case .capturing: text = "\(prefix)[\(name == .camera ? "CAMERA ON" : "MIC ON")] capturing from \(label)\n"
        case .paused: text = "\(prefix)[\(name == .camera ? "camera paused" : "mic paused")] \(label) released, permission held\n"
        case .off: text = "\(prefix)[\(name == .camera ? "camera off" : "mic off")] \(label)\n"
        }
        writeToStandardError(text)
    }
}

/// No indicator (tests that do not look at it).
public struct SilentCaptureIndicator: CaptureIndicator {
    public init() {}
    public func update(_ name: PermissionName, label: String, state: IndicatorState) {}
}

/// Writes text to standard error (fd 2) without touching the C `stderr` global.
public func writeToStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        if n <= 0 { return }
        offset += n
    }
}
