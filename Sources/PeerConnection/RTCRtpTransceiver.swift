import RTP
import SDP

/// `RTCRtpTransceiverDirection` (WebRTC 1.0 §5.4.1) has the values and meaning of the SDP
/// direction attributes (sendrecv, sendonly, recvonly, inactive).
public typealias RTCRtpTransceiverDirection = MediaDirection

/// One m-section's worth of media (WebRTC 1.0 §5.4): a sender, a receiver, a direction and,
/// once negotiated, a mid. Value type kept inside the peer connection's state.
struct Transceiver: Sendable {
    var kind: RTPMediaKind
    var mid: String?
    var direction: RTCRtpTransceiverDirection
    var sender: RTCRtpSender?
    var streamId: String
    /// Our SSRCs for this m-section (media and RTX), chosen up front so the SDP can name them.
    var ssrc = UInt32.random(in: 1 ... .max)
    var rtxSSRC = UInt32.random(in: 1 ... .max)
    /// What negotiation settled (nil until both descriptions are set, or if rejected).
    var sendParameters: RTPStreamParameters?
    var receiveParameters: RTPStreamParameters?
    var receiver: RTCRtpReceiver?
    /// The direction the last answer gave this m-section, from our side.
    var currentDirection: RTCRtpTransceiverDirection?
    var stopped = false
    /// A completed exchange carried this section: its mid is settled (a rollback keeps it).
    var negotiated = false
    /// It has sent (WebRTC 1.0 §5.1 addTrack reuses only a transceiver that never sent).
    var hasSent = false
}

/// WebRTC 1.0 §5.4 `RTCRtpTransceiver`, as `getTransceivers()` gives it: a view of one
/// m-section at the time of the call. Changes go through the connection (`addTrack`,
/// `removeTrack`, `stopTransceiver(mid:)`), which raise `negotiationNeeded`; `sender` is nil
/// where nothing is sent (Tincan's `RTCRtpSender` always has a track).
public struct RTCRtpTransceiver: Sendable {
    public let kind: RTPMediaKind
    /// Set by the offer or answer that carries the section.
    public let mid: String?
    public let sender: RTCRtpSender?
    /// Made when the section is negotiated with us receiving.
    public let receiver: RTCRtpReceiver?
    /// What we asked for.
    public let direction: RTCRtpTransceiverDirection
    /// What the last answer settled, from our side (nil before).
    public let currentDirection: RTCRtpTransceiverDirection?
    public let stopped: Bool

    init(_ t: Transceiver) {
        kind = t.kind
        mid = t.mid
        sender = t.sender
        receiver = t.receiver
        direction = t.direction
        currentDirection = t.currentDirection
        stopped = t.stopped
    }
}
