import ICE
import NetworkPrimitives

/// `RTCConfiguration` (WebRTC 1.0 §4.2.1), with the knobs a command-line peer needs.
public struct RTCConfiguration: Sendable {
    /// Whether host candidates on loopback interfaces are gathered.
    public enum LoopbackCandidates: String, Sendable, CaseIterable {
        /// Only when the machine has no other usable interface (loopback CI just works).
        case automatic
        /// Always (like Chromium's `--allow-loopback-in-peer-connection`): for calls on one host.
        case always
        /// Never.
        case never
    }

    /// STUN and TURN servers (WebRTC 1.0 §4.2.1 `iceServers`): `stun:`, `turn:` and
    /// `turns:` URLs (RFC 7064, RFC 7065), TURN with a username and credential.
    public var iceServers: [RTCIceServer] = []
    /// `.relay`: only relayed candidates, through the TURN servers (WebRTC 1.0 §4.2.5).
    public var iceTransportPolicy = RTCIceTransportPolicy.all
    /// STUN servers as IP:port (server-reflexive candidates), beside those of `iceServers`.
    public var stunServers: [TransportAddress] = []
    public var loopbackCandidates = LoopbackCandidates.automatic
    /// Gather only on these addresses (tests, or a host with many interfaces).
    public var restrictToAddresses: [IPAddress]?
    /// A cap on the video bitrate in bit/s, above any REMB the peer sends.
    public var maxBitrate: Int?
    /// The most we want to receive (bit/s of video RTP payload). Set, it goes into our
    /// offer/answer as `b=TIAS` and `b=AS` on the video sections we receive (the peer's
    /// sender keeps under it) and caps our REMB; unset, no `b=` line, and REMB (negotiated
    /// without transport-cc; the receive-side estimate, REMBStage) stops at 2.5 Mbit/s.
    public var receiveBitrate: UInt64?
    /// The ICE timers (tests shorten them). Checks are paced at 5 ms (RFC 8445 §14.2 allows
    /// down to 5 ms): a call has a handful of pairs (a host with one interface and loopback:
    /// 3 to 4), each check is about 100 bytes (160 kbit/s at 5 ms while checks run), and the
    /// nominating check follows the first success one pacing interval later.
    /// At 20 ms the checks were 47 ms of `tincan recv`'s 79 ms from offer to first frame.
    public var ice: ICEConfiguration = {
        var c = ICEConfiguration()
        c.pacingInterval = .milliseconds(5)
        return c
    }()
    /// Our RTCP CNAME (RFC 7022: random per call unless given).
    public var cname = "tincan-" + String(UInt32.random(in: 0 ... .max), radix: 36)

    public init() {}
}
