/// WebRTC 1.0 §4.2.5 `RTCOfferOptions`.
public struct RTCOfferOptions: Sendable {
    /// New ICE credentials in the offer: an ICE restart (RFC 8445 §9), e.g. after the network
    /// changed or `connectionState` went `disconnected`. The media keeps flowing on the old
    /// pair until the new checks select one.
    public var iceRestart: Bool

    public init(iceRestart: Bool = false) {
        self.iceRestart = iceRestart
    }
}
