/// How a TURN client reaches its server (RFC 8656 §3.1, RFC 7065 `?transport=`).
public enum TURNTransport: String, Sendable, Hashable {
    case udp
    case tcp
    /// TCP with TLS (`turns:`).
    case tls

    /// Over a stream, requests are not retransmitted and ChannelData is padded (RFC 8656 §12.5).
    var isStream: Bool { self != .udp }
}
