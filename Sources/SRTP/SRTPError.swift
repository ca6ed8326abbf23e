import CSRTP

/// A libsrtp failure, named after `srtp_err_status_t`.
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
    /// Any other libsrtp status, with its number.
    case libsrtp(status: UInt32)

    init(status: srtp_err_status_t) {
        switch status {
        case srtp_err_status_auth_fail: self = .authenticationFailed
        case srtp_err_status_replay_fail: self = .replay
        case srtp_err_status_replay_old: self = .replayTooOld
        case srtp_err_status_bad_param, srtp_err_status_parse_err: self = .badPacket
        default: self = .libsrtp(status: status.rawValue)
        }
    }

    public var description: String {
        switch self {
        case .authenticationFailed: "SRTP authentication failed (auth_fail)"
        case .replay: "SRTP replayed packet (replay_fail)"
        case .replayTooOld: "SRTP packet older than the replay window (replay_old)"
        case .badPacket: "malformed SRTP/SRTCP packet"
        case .bufferTooSmall(let needed, let available):
            "SRTP buffer too small: need \(needed) bytes, have \(available)"
        case .badKeyLength(let expected, let got): "SRTP key material of \(got) bytes, expected \(expected)"
        case .libsrtp(let status): "libsrtp error status \(status)"
        }
    }
}
