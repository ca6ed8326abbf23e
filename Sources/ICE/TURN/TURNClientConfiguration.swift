/// The TURN client's timers. Defaults follow RFC 8656 and RFC 8489; tests shorten nothing but
/// run them on a simulated clock.
public struct TURNClientConfiguration: Sendable {
    /// RTO of a request over UDP (RFC 8489 §6.2.1: 500 ms), doubled on each retransmission.
    public var retransmissionTimeout: Duration = .milliseconds(500)
    public var maximumRetransmissionTimeout: Duration = .seconds(8)
    /// Rc: transmissions of one request over UDP (RFC 8489 §6.2.1: 7).
    public var maximumTransmissions = 7
    /// A request over TCP or TLS is sent once and times out after Ti (RFC 8489 §6.2.2: 39.5 s).
    public var streamTransactionTimeout: Duration = .milliseconds(39_500)
    /// The LIFETIME asked for in Allocate and Refresh; nil lets the server choose (600 s).
    public var requestedLifetime: UInt32?
    /// How long before the allocation expires a Refresh goes out (at least half the lifetime).
    public var refreshMargin: Duration = .seconds(60)
    /// Permissions last 300 s (RFC 8656 §9): refreshed every 240 s.
    public var permissionRefreshInterval: Duration = .seconds(240)
    public static let permissionLifetime: Duration = .seconds(300)
    /// Channel bindings last 600 s (RFC 8656 §12): refreshed every 540 s.
    public var channelRefreshInterval: Duration = .seconds(540)
    public static let channelLifetime: Duration = .seconds(600)
    /// Bind a channel to each peer data is sent to, and use ChannelData once it is bound.
    public var bindsChannels = true
    /// Datagrams held per peer while its permission is being created; more are dropped (counted).
    public var maximumQueuedPerPeer = 8
    /// 438 Stale Nonce answers taken per request before giving up (RFC 8489 §9.2.5).
    public var maximumStaleNonceRetries = 3

    public init() {}
}
