/// `RTCSessionDescription` (WebRTC 1.0 §4.8.1): the SDP text and what it is.
public struct RTCSessionDescription: Sendable, Equatable {
    public enum SDPType: String, Sendable { case offer, answer, pranswer, rollback }

    public var type: SDPType
    public var sdp: String

    public init(type: SDPType, sdp: String) {
        self.type = type
        self.sdp = sdp
    }
}

/// The states of WebRTC 1.0 §4.3.3 (`RTCPeerConnectionState`).
public enum RTCPeerConnectionState: String, Sendable {
    case new, connecting, connected, disconnected, failed, closed
}

/// What `RTCPeerConnection.events` reports (the event handlers of WebRTC 1.0 §4.4).
public enum RTCPeerConnectionEvent: Sendable {
    /// `ontrack`: a remote track will arrive on this receiver.
    case track(RTCRtpReceiver, mid: String?)
    /// `onicecandidate`: one local candidate line, or nil at the end of gathering.
    case iceCandidate(String?)
    /// `onicegatheringstatechange` (WebRTC 1.0 §4.3.2).
    case iceGatheringStateChange(RTCIceGatheringState)
    case connectionStateChange(RTCPeerConnectionState)
    /// `onsignalingstatechange` (WebRTC 1.0 §4.3.1): a description moved the exchange along.
    case signalingStateChange(RTCSignalingState)
    /// The peer ended this receiver's stream: an RTCP BYE (it hung up or removed the track),
    /// or an exchange that no longer sends it.
    case remoteEnded(RTCRtpReceiver)
    /// `onnegotiationneeded` (WebRTC 1.0 §4.7.3): the transceivers changed (a track added or
    /// removed, a transceiver stopped) and a new offer should tell the peer.
    case negotiationNeeded
}

/// Errors with the DOMException names of WebRTC 1.0 §4.4.1.
public struct RTCError: Error, Sendable, CustomStringConvertible {
    public enum Name: String, Sendable {
        case invalidStateError = "InvalidStateError"
        case invalidAccessError = "InvalidAccessError"
        case operationError = "OperationError"
        case syntaxError = "SyntaxError"
        case notSupportedError = "NotSupportedError"
        case invalidModificationError = "InvalidModificationError"
        case typeError = "TypeError"
    }

    public var name: Name
    public var message: String

    public init(_ name: Name, _ message: String) {
        self.name = name
        self.message = message
    }

    public var description: String { "\(name.rawValue): \(message)" }
}
