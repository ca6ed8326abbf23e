/// Audio or video: the one media kind of the library, of a track (the raw values are
/// WebRTC's `MediaStreamTrack.kind` strings, "audio" and "video"), of an RTP stream and of
/// the m-section that carries it. It lives here, at the bottom of the module graph, so the
/// stages (libwebrtc offers NACK and keyframe requests for video only), the pacer and the
/// peer connection share it; `SDP.MediaKind` (any `m=` media, "application" too) and
/// `MediaDeviceKind` ("audioinput", ...) are other concepts and convert explicitly.
public enum RTPMediaKind: String, Sendable, Equatable, Hashable, CaseIterable {
    case audio
    case video

    var pacedKind: PacedPacketKind { self == .audio ? .audio : .video }
}
