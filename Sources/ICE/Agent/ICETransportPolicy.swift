/// Which local candidates the agent may use (W3C WebRTC 1.0 §4.2.5 RTCIceTransportPolicy).
public enum ICETransportPolicy: String, Sendable, Equatable, CaseIterable {
    /// Every candidate type.
    case all
    /// Only relayed candidates (RFC 8656 via the configured TURN servers): host and
    /// server-reflexive candidates are neither signaled nor checked, so the peer never learns
    /// this host's addresses.
    case relay
}
