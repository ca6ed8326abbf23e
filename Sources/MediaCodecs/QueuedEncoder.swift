import MediaPrimitives

/// What `EncoderWorker` needs of an encoder: frames in, encoded frames out, plus the two
/// controls the network side drives (target bitrate, keyframe on PLI/FIR).
public protocol QueuedEncoder: AnyObject, SendableMetatype {
    associatedtype Input: Sendable
    associatedtype Output: Sendable
    func encode(_ input: Input) throws(CodecError) -> [Output]
    func setTargetBitrate(_ bitsPerSecond: Int) throws(CodecError)
    func requestKeyframe()
    func flush() throws(CodecError) -> [Output]
}

/// A change to an encoder's own settings, queued by `EncoderWorker.reconfigure` or
/// `InlineEncoder.reconfigure` and run in the encoder's context before its next frame.
public typealias EncoderChange<Encoder: QueuedEncoder> = @Sendable (Encoder) throws(CodecError) -> Void

extension VP8Encoder: QueuedEncoder {}

extension OpusEncoder: QueuedEncoder {
    public func setTargetBitrate(_ bitsPerSecond: Int) throws(CodecError) {
        try setBitrate(max(6000, min(510_000, bitsPerSecond)))
    }
    /// Every Opus packet decodes on its own.
    public func requestKeyframe() {}
    /// Samples short of a whole packet stay behind (a call does not pad its last 20 ms).
    public func flush() throws(CodecError) -> [EncodedAudioFrame] { [] }
}
