/// `a=setup` values (RFC 4145 §4, RFC 5763 §5): which side starts the DTLS handshake.
public enum SetupRole: String, Sendable, Equatable, CaseIterable {
    case actpass, active, passive, holdconn

    /// The answer to an offered role (RFC 5763 §5). An answerer to `actpass` picks `active`,
    /// as every peer measured here does (docs/interop.md).
    public var answer: SetupRole {
        switch self {
        case .actpass, .passive: .active
        case .active: .passive
        case .holdconn: .holdconn
        }
    }
}
