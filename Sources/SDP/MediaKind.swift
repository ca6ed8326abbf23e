/// The `<media>` field of an `m=` line (RFC 8866 §5.14).
public enum MediaKind: Sendable, Equatable, Hashable, CustomStringConvertible {
    case audio, video, application
    /// "text", "message", or anything newer, as written.
    case other(String)

    public init(_ text: String) {
        switch text {
        case "audio": self = .audio
        case "video": self = .video
        case "application": self = .application
        default: self = .other(text)
        }
    }

    public var description: String {
        switch self {
        case .audio: "audio"
        case .video: "video"
        case .application: "application"
        case .other(let text): text
        }
    }
}
