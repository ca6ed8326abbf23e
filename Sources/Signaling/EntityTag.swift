/// The entity-tag a WHIP session names its ICE session with (RFC 9725 §4.3.1): sent in the
/// POST's `ETag`, and required back in a trickle PATCH's `If-Match` so that candidates of an
/// older ICE session are refused (412) rather than mixed in.
package enum EntityTag {
    /// A fresh strong entity-tag (RFC 9110 §8.8.3), quoted: `"6f1c..."`.
    package static func random() -> String {
        let s = String(UInt64.random(in: .min ... .max), radix: 16)
        return "\"" + String(repeating: "0", count: 16 - s.count) + s + "\""
    }

    /// RFC 9110 §13.1.1: `If-Match: *` matches any current session; otherwise one of the
    /// listed tags must equal `current` by strong comparison (a weak `W/` tag never does).
    /// No header at all matches too: RFC 9725 asks clients to send one, and a client that
    /// does not is still speaking of the only ICE session there is.
    package static func ifMatch(_ header: String?, current: String) -> Bool {
        guard let header else { return true }
        let trimmed = header.trimmingSpaces()
        if trimmed == "*" { return true }
        return trimmed.split(separator: ",").contains { $0.trimmingSpaces() == current }
    }
}
