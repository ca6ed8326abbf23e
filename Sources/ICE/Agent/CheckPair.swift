import NetworkPrimitives

/// RFC 8445 §6.1.2.6: the state of one candidate pair in the checklist.
enum CheckPairState: Equatable {
    case frozen, waiting, inProgress, succeeded, failed
}

/// A pair in the checklist. The local side is a host or relayed candidate (the base a check is
/// sent from): server-reflexive candidates are replaced by their base (RFC 8445 §6.1.2.4).
struct CheckPair {
    var id: Int
    var local: ICECandidate
    var remote: ICECandidate
    var state: CheckPairState
    /// Succeeded: a check on it got an authenticated success response (the valid list).
    var valid = false
    var nominated = false
    /// Controlled agent: USE-CANDIDATE arrived before the pair became valid (RFC 8445 §7.3.1.5).
    var nominateOnSuccess = false

    var foundation: String { local.foundation + ":" + remote.foundation }
    /// Set when a check succeeded: see `ICECandidatePair.validLocal`.
    var validLocal: ICECandidate?
    var publicPair: ICECandidatePair { ICECandidatePair(local: local, remote: remote, validLocal: validLocal) }

    /// RFC 8445 §6.1.2.3: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0).
    func priority(role: ICERole) -> UInt64 {
        let g = UInt64(role == .controlling ? local.priority : remote.priority)
        let d = UInt64(role == .controlling ? remote.priority : local.priority)
        return (min(g, d) << 32) + 2 * max(g, d) + (g > d ? 1 : 0)
    }
}

/// One outstanding STUN client transaction (RFC 8489 §6.2.1).
struct Transaction {
    enum Kind {
        case check(pairID: Int, useCandidate: Bool, role: ICERole)
        case consent(pairID: Int)
        case gather(server: TransportAddress)
    }

    var kind: Kind
    var source: TransportAddress
    var destination: TransportAddress
    var request: [UInt8]
    /// The remote password that signs the response (nil for a STUN server).
    var key: [UInt8]?
    /// Creation order: makes retransmissions due at the same time go out in a fixed order.
    var sequence = 0
    var transmissions = 1
    var timeout: Duration
    var deadline: Duration
}
