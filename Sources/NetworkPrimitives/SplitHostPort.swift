/// Splits "HOST:PORT" or "[IPV6]:PORT" at the port's colon (RFC 3986 §3.2.2-3.2.3: an IPv6
/// literal is bracketed). Nothing is validated: the host may be a name, a literal or empty,
/// the port any text. Without brackets the split is at the last colon. Nil when there is no
/// port colon, or a "[" opens a literal that no "]:" closes. The one reader of this syntax:
/// `TransportAddress(_:)` and Signaling's listening addresses both call it.
public func splitHostPort(_ text: String) -> (host: Substring, port: Substring, bracketed: Bool)? {
    if text.hasPrefix("[") {
        guard let close = text.firstIndex(of: "]") else { return nil }
        let rest = text[text.index(after: close)...]
        guard rest.hasPrefix(":") else { return nil }
        return (text[text.index(after: text.startIndex)..<close], rest.dropFirst(), true)
    }
    guard let colon = text.lastIndex(of: ":") else { return nil }
    return (text[..<colon], text[text.index(after: colon)...], false)
}
