import NetworkPrimitives

/// One outstanding TURN request (RFC 8489 §6.2). The unsigned attributes are kept so that a
/// 401 or 438 can be answered by the same request signed with the new nonce.
struct TURNTransaction {
    enum Kind: Equatable {
        case allocate
        /// nil: the server's default lifetime; 0: release the allocation (RFC 8656 §8).
        case refresh(lifetime: UInt32?)
        case createPermission(IPAddress)
        case channelBind(number: UInt16, peer: TransportAddress)

        var method: STUNMethod {
            switch self {
            case .allocate: .allocate
            case .refresh: .refresh
            case .createPermission: .createPermission
            case .channelBind: .channelBind
            }
        }
    }

    var kind: Kind
    var attributes: [STUNAttribute]
    var bytes: [UInt8]
    /// Sent with credentials: a 401 to it means they are wrong.
    var signed: Bool
    var staleNonceRetries: Int
    var sequence: Int
    var transmissions = 1
    var timeout: Duration
    var deadline: Duration

    init(kind: Kind, attributes: [STUNAttribute], bytes: [UInt8], signed: Bool, staleNonceRetries: Int,
         sequence: Int, timeout: Duration, deadline: Duration) {
        self.kind = kind
        self.attributes = attributes
        self.bytes = bytes
        self.signed = signed
        self.staleNonceRetries = staleNonceRetries
        self.sequence = sequence
        self.timeout = timeout
        self.deadline = deadline
    }
}
