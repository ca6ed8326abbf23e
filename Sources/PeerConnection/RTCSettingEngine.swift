import ICE
import NIOCore
import NIOPosix

/// Knobs outside the WebRTC API (pion's SettingEngine): where the connection runs and what
/// its packets travel over. The defaults are a real call: a SwiftNIO event loop and UDP
/// sockets. A test injects a `NIOAsyncTestingEventLoop` and a simulated network, and the
/// whole call (ICE, DTLS-SRTP, RTP, the encoders) runs in simulated time, deterministically.
public struct RTCSettingEngine: Sendable {
    /// The loop every protocol step and timer of the connection runs on (one per connection).
    public var eventLoop: any EventLoop
    /// Where ICE binds its host sockets.
    public var network: any ICEDatagramNetwork
    /// Encode on the event loop instead of a worker thread per track: what a simulated run
    /// needs (the encoder's time then costs no simulated time); a real call keeps encoding
    /// off the network loop.
    public var encodesOnEventLoop: Bool
    /// The clock is simulated: SR wall-clock times come from the loop, DTLS retransmission
    /// runs on the loop's timers (OpenSSL's own timer reads the real clock).
    public var simulatedTime: Bool
    /// What encoding one video frame of a size costs, when the encoder runs on the loop:
    /// simulated time sees no encode time, so this model is what the CPU-overuse adaptation
    /// reads there (a slower machine, in a test). Nil: no CPU feedback in a simulated run.
    /// A real call measures the encoder instead.
    public var simulatedVideoEncodeTime: (@Sendable (_ width: Int, _ height: Int) -> Duration)?
    /// The codecs offered, answered, encoded and decoded, and the pipeline whose stages the
    /// SDP advertises (pion's MediaEngine).
    public var codecs: RTCRtpCodecRegistry = .tincan
    /// Trickle ICE (RFC 8838): `createOffer`/`createAnswer` return once the host candidates
    /// are known, and the rest (server-reflexive, relayed) follow as `.iceCandidate` events and
    /// in `localDescription`, so the peer can start checks sooner. For signalling that carries
    /// candidates (rooms, WHIP with PATCH). Off (the default): a description waits for
    /// gathering to complete and is whole, which WHIP without PATCH, copy-and-paste and files
    /// need.
    public var trickleGathering = false

    public init(eventLoop: (any EventLoop)? = nil, network: (any ICEDatagramNetwork)? = nil,
                encodesOnEventLoop: Bool = false, simulatedTime: Bool = false) {
        self.eventLoop = eventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
        self.network = network ?? UDPDatagramNetwork()
        self.encodesOnEventLoop = encodesOnEventLoop
        self.simulatedTime = simulatedTime
    }
}
