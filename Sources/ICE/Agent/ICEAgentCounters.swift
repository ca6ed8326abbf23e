/// What the agent refused, counted (the team's rule: nothing from outside is dropped
/// unseen). Requests that fail authentication are not here: they are answered 400/401
/// (RFC 8489 §9.1.3), rate-limited by `STUNErrorResponseLimiter`.
public struct ICEAgentCounters: Sendable, Equatable {
    /// STUN-looking datagrams (RFC 7983) that do not parse as STUN (RFC 8489 §6).
    public var malformedSTUNMessages: Int64 = 0
    /// STUN messages of a method other than Binding (the only one ICE uses, RFC 8445 §7).
    public var unsupportedSTUNMethods: Int64 = 0
    /// Responses to no transaction of ours: late retransmissions, or forged.
    public var unmatchedSTUNResponses: Int64 = 0
    /// Responses whose MESSAGE-INTEGRITY does not verify (RFC 8445 §7.2.5.1).
    public var unauthenticatedSTUNResponses: Int64 = 0
    /// Non-STUN datagrams from an address that is no remote candidate (RFC 7675 §5.2: not
    /// handed to DTLS or SRTP).
    public var unknownSourceDatagrams: Int64 = 0
    /// Datagrams of ours the socket refused (sendmsg failed: unreachable, no buffer space, too
    /// large). Counted by the driver, which sees the socket: UDP has no other trace of them.
    public var datagramSendFailures: Int64 = 0

    public init() {}
}
