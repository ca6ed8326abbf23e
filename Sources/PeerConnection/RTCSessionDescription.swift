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
    case connectionStateChange(RTCPeerConnectionState)
    /// `onsignalingstatechange` (WebRTC 1.0 §4.3.1): a description moved the exchange along.
    case signalingStateChange(RTCSignalingState)
    /// The peer sent RTCP BYE for a stream of this receiver (it hung up).
    case remoteEnded(RTCRtpReceiver)
}

/// Errors with the DOMException names of WebRTC 1.0 §4.4.1.
public struct RTCError: Error, Sendable, CustomStringConvertible {
    public enum Name: String, Sendable {
        case invalidStateError = "InvalidStateError"
        case invalidAccessError = "InvalidAccessError"
        case operationError = "OperationError"
        case syntaxError = "SyntaxError"
        case notSupportedError = "NotSupportedError"
    }

    public var name: Name
    public var message: String

    public init(_ name: Name, _ message: String) {
        self.name = name
        self.message = message
    }

    public var description: String { "\(name.rawValue): \(message)" }
}
