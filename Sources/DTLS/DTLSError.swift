/// Why a DTLS operation failed.
public enum DTLSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The peer's certificate does not hash to the fingerprint its SDP announced
    /// (RFC 8122 §5). The handshake is aborted; no SRTP key is ever exported.
    case fingerprintMismatch(expected: DTLSFingerprint, received: DTLSFingerprint?)
    /// An `a=fingerprint` value that cannot be parsed.
    case invalidFingerprint(String)
    /// OpenSSL refused the handshake (alert sent or received, no shared cipher...).
    case handshakeFailed(String)
    /// The peer did not agree to any of our SRTP protection profiles (RFC 5764 §4.1.1).
    case noSRTPProfile
    /// The operation needs a completed, verified handshake.
    case notConnected
    /// The connection was closed (close_notify) or failed earlier.
    case closed
    /// The datagram is not DTLS (RFC 7983 §7: DTLS records start with 20...63).
    case notDTLS
    /// Creating the certificate or the OpenSSL context failed.
    case setupFailed(String)

    public var description: String {
        switch self {
        case .fingerprintMismatch(let expected, let received):
            "DTLS peer certificate fingerprint mismatch: expected \(expected.sdpValue), got \(received?.sdpValue ?? "no certificate")"
        case .invalidFingerprint(let text): "invalid DTLS fingerprint: \(text)"
        case .handshakeFailed(let reason): "DTLS handshake failed: \(reason)"
        case .noSRTPProfile: "DTLS peer negotiated no SRTP protection profile (use_srtp)"
        case .notConnected: "DTLS connection is not established"
        case .closed: "DTLS connection is closed"
        case .notDTLS: "datagram is not a DTLS record"
        case .setupFailed(let reason): "DTLS setup failed: \(reason)"
        }
    }
}
