import MediaPrimitives
import MediaCodecs

/// What one received frame decodes to: pictures (a VP8 frame may give none, or several
/// after a flush) or one block of samples.
enum DecodedMedia {
    case video([VideoFrame])
    case audio(AudioFrame)
}

/// A registered codec's decoder as the receiver drives it, whatever the codec: a whole
/// frame's payload (the depacketizer's output) in, pictures or samples out. Touched by one
/// decoding context at a time.
protocol MediaDecoder: AnyObject {
    /// `timestamp`: the capture-clock time the output carries (the frame's arrival).
    func decodeFrame(_ payload: [UInt8], timestamp: UInt64) throws(CodecError) -> DecodedMedia
}

extension VP8Decoder: MediaDecoder {
    func decodeFrame(_ payload: [UInt8], timestamp: UInt64) throws(CodecError) -> DecodedMedia {
        .video(try decode(payload, timestamp: timestamp))
    }
}

extension OpusDecoder: MediaDecoder {
    func decodeFrame(_ payload: [UInt8], timestamp: UInt64) throws(CodecError) -> DecodedMedia {
        .audio(try decode(payload, timestamp: timestamp))
    }
}
