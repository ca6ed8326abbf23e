import SRTP

/// Where a `DTLSTransport` is in its life.
public enum DTLSState: Sendable, Equatable {
    case new
    case connecting
    /// Handshake done, peer certificate matched its fingerprint, SRTP profile agreed.
    case connected(SRTPProtectionProfile)
    /// Closed by either side (close_notify).
    case closed
    case failed(DTLSError)
}

/// What a received datagram or a timer led to.
public enum DTLSEvent: Sendable, Equatable {
    /// The handshake completed and was verified; SRTP keys can now be exported.
    case connected(SRTPProtectionProfile)
    /// Application data (for SCTP data channels, RFC 8261).
    case applicationData([UInt8])
    /// The peer sent close_notify.
    case closed
    case failed(DTLSError)
}

/// Knobs of a `DTLSTransport`; the defaults are what WebRTC peers expect.
public struct DTLSConfiguration: Sendable {
    /// Offered or accepted, most preferred first (the server's order decides, RFC 5764 §4.1.1).
    public var srtpProfiles: [SRTPProtectionProfile] = SRTPProtectionProfile.allCases
    /// Largest datagram written. 1200 leaves room for IPv6, UDP, TURN and STUN headers.
    public var mtu: Int = 1200
    /// First retransmission timeout; doubles on each expiry up to 60 s (RFC 6347 §4.2.4.1).
    public var initialRetransmissionTimeout: Duration = .seconds(1)
    /// The caller keeps the retransmission schedule on a clock of its own (simulated time) and
    /// calls `retransmit()` at its deadlines. OpenSSL 3.0 measures its timer against the system
    /// clock with no way to inject another, and retransmits on its own whenever it reads an
    /// incomplete flight after that timer ran out; so its timer is then a constant
    /// `callerClockedTimeout` of real time, far longer than a simulated handshake takes, and
    /// never runs out by itself: the only retransmissions are the caller's, at the same
    /// simulated instants in every run. The doubling of RFC 6347 §4.2.4.1 is the caller's.
    /// (A timer kept expired instead makes OpenSSL resend on every read and give up after 12.)
    public var callerClocksRetransmissions = false
    /// OpenSSL's real-clock timer under `callerClocksRetransmissions`: what `retransmit()` waits at most.
    public static let callerClockedTimeout: Duration = .milliseconds(500)

    public init() {}
}
