/// `a=sendrecv` / `sendonly` / `recvonly` / `inactive` (RFC 8866 §6.7; RFC 3264 §6.1).
public enum MediaDirection: String, Sendable, Equatable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    public var sends: Bool { self == .sendrecv || self == .sendonly }
    public var receives: Bool { self == .sendrecv || self == .recvonly }

    public init(sends: Bool, receives: Bool) {
        switch (sends, receives) {
        case (true, true): self = .sendrecv
        case (true, false): self = .sendonly
        case (false, true): self = .recvonly
        case (false, false): self = .inactive
        }
    }

    /// The direction seen from the other side: what one offers to send, the other receives.
    public var reversed: MediaDirection { MediaDirection(sends: receives, receives: sends) }

    /// RFC 3264 §6.1: the answer's direction given the offer's and what the answerer wants.
    public func answer(wantsToSend: Bool, wantsToReceive: Bool) -> MediaDirection {
        MediaDirection(sends: wantsToSend && receives, receives: wantsToReceive && sends)
    }
}
