/// Why an SRTP operation failed.
public enum SRTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The packet's tag did not verify: it was altered or protected with another key.
    case authenticationFailed
    /// The packet's index was already seen (RFC 3711 §3.3.2 replay list).
    case replay
    /// The packet's index is older than the replay window.
    case replayTooOld
    /// The packet is too short or malformed for SRTP/SRTCP.
    case badPacket
    /// The caller's buffer has no room for the tag and trailer.
    case bufferTooSmall(needed: Int, available: Int)
    /// A key or salt of the wrong length for the profile.
    case badKeyLength(expected: Int, got: Int)
    /// The session already keeps state for `limit` SSRCs; a packet of another one is refused.
    case tooManyStreams(limit: Int)
    /// The SRTCP index of this SSRC reached 2^31 - 1 (RFC 3711 §3.4): the keys must change.
    case indexExhausted
    /// OpenSSL's libcrypto lacks an algorithm SRTP needs (named), or refused a key.
    case cryptoUnavailable(String)
    /// An OpenSSL call failed on a packet (named); not expected with valid keys.
    case cryptoFailure(String)

    public var description: String {
        switch self {
        case .authenticationFailed: "SRTP authentication failed"
        case .replay: "SRTP replayed packet"
        case .replayTooOld: "SRTP packet older than the replay window"
        case .badPacket: "malformed SRTP/SRTCP packet"
        case .bufferTooSmall(let needed, let available):
            "SRTP buffer too small: need \(needed) bytes, have \(available)"
        case .badKeyLength(let expected, let got): "SRTP key material of \(got) bytes, expected \(expected)"
        case .tooManyStreams(let limit): "SRTP session already has \(limit) SSRCs, the most it keeps"
        case .indexExhausted: "SRTCP index exhausted: the session needs new keys"
        case .cryptoUnavailable(let what): "OpenSSL cannot provide \(what) for SRTP"
        case .cryptoFailure(let what): "OpenSSL failed in \(what) during SRTP"
        }
    }
}
