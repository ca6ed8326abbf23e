import NetworkPrimitives

/// Something a TURN client reports.
public enum TURNEvent: Sendable, Equatable {
    /// RFC 8656 §7.3: the allocation exists; `mapped` is the client's server-reflexive address.
    case allocated(relayed: TransportAddress, mapped: TransportAddress?, lifetime: Duration)
    /// The Allocate request failed: no relayed address.
    case allocationFailed(TURNError)
    /// RFC 8656 §8: a Refresh succeeded.
    case refreshed(lifetime: Duration)
    /// An allocation that existed is gone (a Refresh was refused, or it expired).
    case allocationLost(TURNError)
    case permissionCreated(IPAddress)
    case permissionFailed(IPAddress, TURNError)
    case channelBound(channelNumber: UInt16, peer: TransportAddress)
    case channelBindFailed(peer: TransportAddress, TURNError)
    /// The Refresh with LIFETIME 0 was answered, or timed out (RFC 8656 §8).
    case closed
}
