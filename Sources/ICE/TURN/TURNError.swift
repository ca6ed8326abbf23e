import NetworkPrimitives

/// Why a TURN request failed (RFC 8656 §19 and RFC 8489 §14.8 error codes, plus the client's own).
public enum TURNError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 401 after credentials were sent: the username or password is wrong (RFC 8489 §9.2.5).
    case unauthorized
    /// 438 more often than a fresh nonce can explain (RFC 8489 §9.2.5).
    case staleNonce
    /// 437: the 5-tuple has another allocation, or (on Refresh) none any more (RFC 8656 §7.2, §7.3).
    case allocationMismatch
    /// 441: the credentials differ from those the allocation was made with (RFC 8656 §19).
    case wrongCredentials
    /// 442: the server does not relay the requested transport (RFC 8656 §7.2).
    case unsupportedTransportProtocol
    /// 486: this user has as many allocations as the server allows (RFC 8656 §7.2).
    case allocationQuotaReached
    /// 508: the server has no relayed transport address to give (RFC 8656 §7.2).
    case insufficientCapacity
    /// 403: the server refuses (e.g. a peer address its policy forbids, RFC 8656 §9).
    case forbidden
    /// 300: the server asks the client to use another server, which this client does not follow.
    case tryAlternate(TransportAddress?)
    /// Any other error response.
    case serverError(code: Int, reason: String)
    /// A success response without the attributes the method requires (e.g. XOR-RELAYED-ADDRESS).
    case malformedResponse
    /// No answer after every retransmission (RFC 8489 §6.2.1).
    case timeout
    /// The allocation's lifetime ran out before a Refresh succeeded (RFC 8656 §7.3).
    case allocationExpired
    /// The client is not allocated (yet, or any more).
    case noAllocation
    /// The TCP or TLS connection to the server could not be made or closed (RFC 8656 §3.1).
    case connectionClosed

    /// The error a response code maps to.
    init(code: Int, reason: String, alternate: TransportAddress? = nil) {
        switch code {
        case 300: self = .tryAlternate(alternate)
        case 401: self = .unauthorized
        case 403: self = .forbidden
        case 437: self = .allocationMismatch
        case 438: self = .staleNonce
        case 441: self = .wrongCredentials
        case 442: self = .unsupportedTransportProtocol
        case 486: self = .allocationQuotaReached
        case 508: self = .insufficientCapacity
        default: self = .serverError(code: code, reason: reason)
        }
    }

    public var description: String {
        switch self {
        case .unauthorized: "401 Unauthorized: the TURN server refused the username or password"
        case .staleNonce: "438 Stale Nonce, repeatedly"
        case .allocationMismatch: "437 Allocation Mismatch"
        case .wrongCredentials: "441 Wrong Credentials: not the credentials the allocation was made with"
        case .unsupportedTransportProtocol: "442 Unsupported Transport Protocol"
        case .allocationQuotaReached: "486 Allocation Quota Reached"
        case .insufficientCapacity: "508 Insufficient Capacity"
        case .forbidden: "403 Forbidden"
        case .tryAlternate(let a): "300 Try Alternate\(a.map { " (\($0))" } ?? ""): not followed"
        case .serverError(let code, let reason): "TURN error \(code) \(reason)"
        case .malformedResponse: "a TURN response without the attributes it needs"
        case .timeout: "the TURN server did not answer"
        case .allocationExpired: "the TURN allocation expired"
        case .noAllocation: "no TURN allocation"
        case .connectionClosed: "the TCP connection to the TURN server failed or closed"
        }
    }
}
