import NetworkPrimitives

/// A listening address given as `HOST:PORT`, `[V6]:PORT` or `:PORT` (all interfaces).
public struct HostPort: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses the text with NetworkPrimitives' `splitHostPort`; an empty host is 0.0.0.0.
    public init(parsing text: String) throws {
        guard let parts = splitHostPort(text) else {
            throw SignalingError.badAddress(text.hasPrefix("[")
                ? "\"\(text)\": expected [ADDRESS]:PORT"
                : "\"\(text)\": expected HOST:PORT, e.g. 127.0.0.1:8080 or :8080")
        }
        guard let port = Int(parts.port), (0...65535).contains(port) else {
            throw SignalingError.badAddress("\"\(text)\": the port must be a number from 0 to 65535 (0 picks a free one)")
        }
        self.init(host: parts.host.isEmpty ? "0.0.0.0" : String(parts.host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
