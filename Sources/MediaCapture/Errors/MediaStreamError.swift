/// The errors getUserMedia and applyConstraints reject with, named as the DOM names them
/// (W3C Media Capture and Streams, §10 "MediaDevices" and §11 "OverconstrainedError").
public struct MediaStreamError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Name: String, Sendable, Codable {
        case typeError = "TypeError"
        case notFoundError = "NotFoundError"
        case notAllowedError = "NotAllowedError"
        case notReadableError = "NotReadableError"
        case overconstrainedError = "OverconstrainedError"
        case abortError = "AbortError"
        case securityError = "SecurityError"
        case invalidStateError = "InvalidStateError"
    }

    public var name: Name
    public var message: String
    /// For OverconstrainedError: the constraint that could not be satisfied ("" if unknown).
    public var constraint: String?

    public init(_ name: Name, _ message: String, constraint: String? = nil) {
        self.name = name
        self.message = message
        self.constraint = constraint
    }

    public static func overconstrained(_ constraint: String, _ message: String) -> MediaStreamError {
        MediaStreamError(.overconstrainedError, message, constraint: constraint)
    }

    public var description: String {
        if let constraint { return "\(name.rawValue) (\(constraint)): \(message)" }
        return "\(name.rawValue): \(message)"
    }
}
