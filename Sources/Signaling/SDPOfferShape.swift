/// The least a body must look like to be handed on as an SDP offer. Signaling does not parse
/// SDP (the peer connection does); this only tells a stray POST (`hello`, an empty body, a
/// JSON document) from an offer, so that it gets 400 at once (RFC 9725 §4.2) instead of
/// taking the endpoint's one session.
package enum SDPOfferShape {
    /// Why `text` cannot be an SDP offer, or nil when it may be one.
    package static func problem(_ text: String) -> String? {
        let bytes = text.utf8
        if bytes.isEmpty { return "the body is empty" }
        // RFC 8866 §5: the first line is the protocol version, "v=0".
        guard bytes.starts(with: "v=0\n".utf8) || bytes.starts(with: "v=0\r\n".utf8) else {
            return "an SDP description starts with the line v=0 (RFC 8866 §5)"
        }
        guard text.contains("\nm=") else {
            return "it has no media section (no m= line): a WHIP offer carries audio or video (RFC 9725 §4.2)"
        }
        return nil
    }
}
