import MediaCapture
import RTP
import SDP

/// `RTPMediaKind` is the library's media kind; these are the explicit conversions from and
/// to the types that spell it their own way: an m-section's `<media>` (which may also be
/// "application" or anything newer) and a track's `kind` string.
extension RTPMediaKind {
    /// The kind of an m-section Tincan can carry; nil for data channels and other media.
    init?(_ section: SDP.MediaKind) {
        switch section {
        case .audio: self = .audio
        case .video: self = .video
        default: return nil
        }
    }

    /// The `m=` line's `<media>` for this kind.
    var sdp: SDP.MediaKind { self == .audio ? .audio : .video }
}

extension MediaStreamTrack {
    /// The track's `kind` ("audio" or "video", W3C Media Capture §4.3.1) as a media kind.
    var mediaKind: RTPMediaKind { RTPMediaKind(rawValue: kind) ?? .audio }
}
