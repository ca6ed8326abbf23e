import NetworkPrimitives

/// What an Allocate on a TURN server gave (RFC 8656 §7.3, RFC 8445 §5.1.1.2): the relayed
/// candidate, or why there is none.
public struct RelayResult: Sendable, Equatable {
    public var server: TransportAddress
    public var base: TransportAddress
    public var candidate: ICECandidate?
    public var error: TURNError?
}
