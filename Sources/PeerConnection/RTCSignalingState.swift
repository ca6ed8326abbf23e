/// WebRTC 1.0 §4.3.1 `RTCSignalingState`: where the offer/answer exchange stands. Each
/// `setLocalDescription`/`setRemoteDescription` moves it along the spec's state machine
/// (figure 1 there); a call out of turn fails with InvalidStateError and leaves it as it was.
public enum RTCSignalingState: String, Sendable {
    case stable
    case haveLocalOffer = "have-local-offer"
    case haveRemoteOffer = "have-remote-offer"
    case haveLocalPranswer = "have-local-pranswer"
    case haveRemotePranswer = "have-remote-pranswer"
    case closed

    /// The state after applying a description of `type`, local or remote (§4.4.1.5-6), or nil
    /// when the spec does not allow it from here. Pranswers are not supported; a rollback
    /// (back to stable) is handled by the connection.
    func applying(_ type: RTCSessionDescription.SDPType, local: Bool) -> RTCSignalingState? {
        switch (self, type, local) {
        case (.stable, .offer, true), (.haveLocalOffer, .offer, true): .haveLocalOffer
        case (.stable, .offer, false), (.haveRemoteOffer, .offer, false): .haveRemoteOffer
        case (.haveRemoteOffer, .answer, true), (.haveLocalOffer, .answer, false): .stable
        default: nil
        }
    }
}
