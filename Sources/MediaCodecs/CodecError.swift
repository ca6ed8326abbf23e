/// A codec library refused a call. The message carries the library's own error text so the
/// user can tell a bad setting from a broken stream.
public struct CodecError: Error, Sendable, Equatable, CustomStringConvertible {
    public var codec: String
    public var message: String
    public init(codec: String, _ message: String) {
        self.codec = codec
        self.message = message
    }
    public var description: String { "\(codec): \(message)" }
}
