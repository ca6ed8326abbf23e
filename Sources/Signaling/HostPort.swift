/// A listening address given as `HOST:PORT`, `[V6]:PORT` or `:PORT` (all interfaces).
public struct HostPort: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws {
        var host: Substring, portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw SignalingError.badAddress("\"\(text)\": expected [ADDRESS]:PORT") }
            portText = rest.dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            throw SignalingError.badAddress("\"\(text)\": expected HOST:PORT, e.g. 127.0.0.1:8080 or :8080")
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw SignalingError.badAddress("\"\(text)\": the port must be a number from 0 to 65535 (0 picks a free one)")
        }
        if host.isEmpty { host = "0.0.0.0" }
        self.init(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
