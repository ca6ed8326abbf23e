import NetworkPrimitives

/// A token bucket for the STUN error responses the agent sends without authentication: the
/// 400 (no USERNAME or MESSAGE-INTEGRITY) and 401 (wrong credentials) of RFC 8489 §9.1.3
/// go to whatever source a request claims, so without a bound a stream of forged requests
/// would make the agent reflect traffic at a victim (RFC 8445 §19.5 asks agents not to be
/// used that way). Refused responses are counted (`suppressed`).
struct STUNErrorResponseLimiter: Sendable {
    /// Responses allowed at once, then `perSecond` a second.
    static let burst = 10.0
    static let perSecond = 10.0

    private var tokens = burst
    private var last: Duration?
    private(set) var suppressed = 0

    /// Whether one more unauthenticated error response may go out at `now`.
    mutating func allow(now: Duration) -> Bool {
        if let last, now > last {
            let elapsed = Double((now - last).components.seconds) + Double((now - last).components.attoseconds) / 1e18
            tokens = min(Self.burst, tokens + elapsed * Self.perSecond)
        }
        if last.map({ now > $0 }) ?? true { last = now }
        guard tokens >= 1 else {
            suppressed += 1
            return false
        }
        tokens -= 1
        return true
    }
}

extension ICEAgentCore {
    /// Unauthenticated STUN error responses (400, 401) not sent because of the rate limit.
    public var suppressedErrorResponses: Int { errorResponseLimiter.suppressed }

    /// An unsigned error response to a request that failed authentication, within the rate limit.
    mutating func sendUnauthenticatedError(_ code: Int, _ reason: String, to request: STUNMessage, from base: TransportAddress,
                                           destination: TransportAddress, now: Duration) {
        guard errorResponseLimiter.allow(now: now) else { return }
        sendError(code, reason, to: request, from: base, destination: destination, signed: false)
    }
}
