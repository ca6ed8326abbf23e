extension ICEEvent {
    /// Why the connection is over, in words for a person, for the events that end one; nil
    /// for the others. The peer connection keeps it as the reason of its `failed` state.
    public var failureReason: String? {
        switch self {
        case .consentExpired(let pair):
            // RFC 7675 §5.1: no authenticated answer to consent checks for 30 s.
            return "the peer stopped answering ICE consent checks (RFC 7675) on \(pair): it went away, or the network path to it broke"
        default:
            return nil
        }
    }
}
