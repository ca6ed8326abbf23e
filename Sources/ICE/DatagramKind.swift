/// RFC 7983 §7: what a datagram on the shared ICE socket is, from its first byte.
public enum DatagramKind: Sendable, Equatable {
    case stun        // 0-3
    case zrtp        // 16-19
    case dtls        // 20-63
    case turnChannel // 64-79
    case rtp         // 128-191 (RTP and RTCP)
    case unknown

    public init(firstByte b: UInt8) {
        switch b {
        case 0...3: self = .stun
        case 16...19: self = .zrtp
        case 20...63: self = .dtls
        case 64...79: self = .turnChannel
        case 128...191: self = .rtp
        default: self = .unknown
        }
    }

    /// The kind of a datagram; an empty one is `.unknown`.
    public init(_ datagram: some Collection<UInt8>) {
        guard let first = datagram.first else { self = .unknown; return }
        self.init(firstByte: first)
    }
}
