import NetworkPrimitives

/// Which agent nominates (RFC 8445 §6.1.1, §7.3.1.1).
public enum ICERole: String, Sendable, Equatable {
    case controlling
    case controlled
}

/// RTCIceConnectionState's names for the agent's overall state.
public enum ICEConnectionState: String, Sendable, Equatable {
    case new, checking, connected, disconnected, failed, closed
}

/// Timers and gathering policy. Defaults follow the RFCs; tests shorten the timers.
public struct ICEConfiguration: Sendable {
    /// STUN servers for server-reflexive candidates (IP literals; a server of the other
    /// address family than a host candidate is not asked from it).
    public var stunServers: [TransportAddress] = []
    /// TURN servers for relayed candidates (RFC 8656), one allocation per host candidate of
    /// the same address family; over UDP, TCP or TLS.
    public var turnServers: [TURNServer] = []
    /// PEM files of the certificate authorities TURN servers over TLS are verified against;
    /// empty: the system's (OpenSSL's default paths).
    public var turnTLSTrustedCertificates: [String] = []
    /// `.relay` offers and checks only relayed candidates (RTCIceTransportPolicy).
    public var transportPolicy = ICETransportPolicy.all
    /// The TURN clients' timers.
    public var turn = TURNClientConfiguration()
    /// Gather host candidates on loopback interfaces (like Chromium's
    /// `--allow-loopback-in-peer-connection`). Off by default.
    public var allowLoopback = false
    /// When set, host candidates only on these addresses (which may include loopback).
    public var restrictToAddresses: [IPAddress]?
    public var includeIPv4 = true
    public var includeIPv6 = true

    /// Ta, the pacing of new transactions (RFC 8445 §14.2): 50 ms.
    public var pacingInterval: Duration = .milliseconds(50)
    /// Initial retransmission timeout of a check or gathering request (RFC 8445 §14.3: 500 ms),
    /// doubled on each retransmission up to `maximumRetransmissionTimeout`.
    public var retransmissionTimeout: Duration = .milliseconds(500)
    public var maximumRetransmissionTimeout: Duration = .seconds(3)
    /// Rc: transmissions of one request before it times out (RFC 8489 §6.2.1: 7).
    public var maximumTransmissions = 7
    /// The controlling agent nominates the best valid pair once no better pair is pending,
    /// or at the latest this long after the first pair became valid.
    public var nominationTimeout: Duration = .seconds(1)
    /// RFC 7675 §5.1: consent checks about every 5 s, randomized by ±20 %.
    public var consentInterval: Duration = .seconds(5)
    /// RFC 7675 §5.1: consent is lost after 30 s without an authenticated response.
    public var consentTimeout: Duration = .seconds(30)
    /// Reported `disconnected` after this long without a consent response.
    public var disconnectedTimeout: Duration = .seconds(12)
    /// Without end-of-candidates (Chromium never sends it), the agent fails when every pair
    /// has failed and nothing new (candidate, check, request) happened for this long.
    public var checkingTimeout: Duration = .seconds(30)

    public init() {}

    /// Short timers for tests on loopback or a simulated network.
    public static var fastForTesting: ICEConfiguration {
        var c = ICEConfiguration()
        c.pacingInterval = .milliseconds(5)
        c.retransmissionTimeout = .milliseconds(50)
        c.maximumRetransmissionTimeout = .milliseconds(200)
        c.maximumTransmissions = 5
        c.nominationTimeout = .milliseconds(100)
        c.consentInterval = .milliseconds(500)
        c.consentTimeout = .seconds(3)
        c.disconnectedTimeout = .milliseconds(1500)
        c.checkingTimeout = .seconds(2)
        return c
    }
}

/// A candidate pair as shown to users of the agent.
public struct ICECandidatePair: Hashable, Sendable, CustomStringConvertible {
    /// The candidate checks and data are sent from: a host or relayed candidate (a
    /// server-reflexive candidate is replaced by its base, RFC 8445 §6.1.2.4).
    public var local: ICECandidate
    public var remote: ICECandidate
    /// RFC 8445 §7.2.5.3.2: the local candidate of the valid pair a successful check built:
    /// the local candidate whose address is the response's XOR-MAPPED-ADDRESS (behind a NAT,
    /// the server-reflexive one), or a peer-reflexive one when none is. What getStats reports
    /// as the selected pair's local candidate; `local` until a check succeeded.
    public var validLocal: ICECandidate

    public init(local: ICECandidate, remote: ICECandidate, validLocal: ICECandidate? = nil) {
        self.local = local
        self.remote = remote
        self.validLocal = validLocal ?? local
    }

    public var description: String { "\(local.address) -> \(remote.address) (\(remote.type.rawValue))" }
}

/// What a Binding request to a STUN server returned (RFC 8445 §5.1.1.2). Reported even when
/// the candidate is redundant with its base (as on loopback), so callers can see the answer.
public struct ServerReflexiveResult: Sendable, Equatable {
    public var server: TransportAddress
    public var base: TransportAddress
    /// nil when the server never answered.
    public var candidate: ICECandidate?
    /// True when the mapped address equals the base or an earlier srflx candidate: RFC 8445
    /// §5.1.3 drops it from the candidates offered to the peer.
    public var redundant: Bool
}

/// Something the agent reports.
public enum ICEEvent: Sendable {
    case candidateGathered(ICECandidate)
    case serverReflexiveResult(ServerReflexiveResult)
    /// All local candidates are known (the `end-of-candidates` of RFC 8838).
    case gatheringComplete
    case stateChanged(ICEConnectionState)
    case roleChanged(ICERole)
    case selectedPairChanged(ICECandidatePair)
    /// A connectivity check failed: with the STUN error code (e.g. 401), or nil on timeout.
    case checkFailed(ICECandidatePair, errorCode: Int?)
    /// RFC 7675: no authenticated consent response for `consentTimeout`.
    case consentExpired(ICECandidatePair)
    /// An Allocate on a TURN server succeeded (the relayed candidate) or failed.
    case relayResult(RelayResult)
    /// A TURN allocation that existed is gone; its relayed candidate carries nothing more.
    case relayLost(server: TransportAddress, TURNError)
    /// A non-STUN datagram (DTLS, SRTP, ...) from a known remote candidate.
    case applicationData([UInt8], kind: DatagramKind, from: TransportAddress, base: TransportAddress)
}

/// A datagram the driver must send from the socket bound to `source`, or a message for the
/// TCP connection from `source`'s address to a TURN server (RFC 8656 §3.1).
public struct ICETransmit: Sendable, Equatable {
    public var source: TransportAddress
    public var destination: TransportAddress
    public var payload: [UInt8]
    /// `.udp`: a datagram; `.tcp`: on the stream to the TURN server at `destination`.
    public var transport: TURNTransport = .udp
}

public enum ICEError: Error, Equatable, Sendable {
    case notConnected
    case closed
    case noRemoteCredentials
    case failed(String)
}
