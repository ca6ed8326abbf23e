import MediaPrimitives
import MediaCodecs

/// A captured frame on its way to an encoder: what the track gives, by its kind (the
/// encoder side of `DecodedMedia`).
enum MediaFrame: Sendable {
    case video(VideoFrame)
    case audio(AudioFrame)
}

/// An encoded frame on its way to the packetizer.
enum EncodedMedia: Sendable {
    case video(EncodedVideoFrame)
    case audio(EncodedAudioFrame)

    var data: [UInt8] {
        switch self {
        case .video(let f): f.data
        case .audio(let f): f.data
        }
    }

    func rtpTimestamp(offset: UInt32) -> UInt32 {
        switch self {
        case .video(let f): f.rtpTimestamp(offset: offset)
        case .audio(let f): f.rtpTimestamp(offset: offset)
        }
    }
}
