import MediaCapture

/// What a sending stream asks of its codec's registration.
struct MediaEncoderRequest: Sendable, Equatable {
    /// The track's settings when sending starts (size and rate, sample rate, channels).
    var settings: MediaTrackSettings
    var parameters: RTPStreamParameters
    /// The user's cap (`RTCConfiguration.maxBitrate`), payload bit/s.
    var maxBitrate: Int?
    /// Encode on the event loop (simulated time) rather than on a worker.
    var inline: Bool
    /// Encode on the thread that delivers the frame when the encoder is free
    /// (`EncoderWorker.runsOnCaller`): the track's camera leaves frames out while its thread is
    /// busy (`MediaStreamTrack.toleratesSlowSinks`), so a slow encode costs frames, not latency.
    var onCaptureThread: Bool = false
}

/// An opened encoder and the rates the sender's control starts from.
struct OpenedMediaEncoder: Sendable {
    var encoder: MediaStreamEncoder
    /// The encoder's first bitrate (video: the pipeline's start rate until its first target).
    var startBitrate: Int
    /// The most this stream sends on the wire: the user's cap, or what the picture needs.
    var wireMaximum: Int
    /// The most the encoder may be given: the user's cap and the peer's `b=TIAS`/`b=AS`.
    var encoderMaximum: Int
    /// Video: the size and rate encoded at first, where the adaptation starts.
    var picture: (width: Int, height: Int, frameRate: Double)?
}
