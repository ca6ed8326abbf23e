/// WebRTC 1.0 §4.3.2 `RTCIceGatheringState`: `gathering` from the first description until
/// the STUN and TURN servers have answered or timed out, then `complete` (the
/// `end-of-candidates` of RFC 8838 §8.2).
public enum RTCIceGatheringState: String, Sendable {
    case new, gathering, complete
}
