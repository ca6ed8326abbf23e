/// A channel that carries this side's ICE candidates to the other side after its description
/// (Trickle ICE, RFC 8838): a room (`candidate` messages) or a WHIP session (PATCH, RFC 9725
/// §4.3). The peer connection's `onicecandidate` feeds it.
///
/// Candidates may be handed over at any time: before the description went out they wait
/// (the other side cannot add a candidate before it has a remote description, and a WHIP
/// session URL exists only once the POST is answered), then go after it. Candidates the sent
/// description already carries, and an end-of-candidates it already said, are not sent again.
public protocol CandidateTrickling: Sendable {
    /// One local candidate, `candidate:...` (with or without `a=`).
    func trickle(candidate: String)
    /// No more local candidates (RFC 8838 §8.2; `onicecandidate` with a null candidate).
    func trickleEndOfCandidates()
}

/// What a trickling channel did with the candidates it was handed (tests, logs).
public struct TrickleCounts: Sendable, Equatable {
    /// Candidates sent to the other side.
    public var sent = 0
    /// Not sent because the description carried them already.
    public var alreadyInDescription = 0
    /// Not sent: the other side does not take them (WHIP 405/501), the channel ended before
    /// the description went out, or the send failed (logged).
    public var dropped = 0
    /// End-of-candidates sent.
    public var endOfCandidatesSent = false

    public init() {}
}
