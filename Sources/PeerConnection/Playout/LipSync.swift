/// Lip sync of a played audio stream with the video of the same call (RFC 3550 §6.4.1: each
/// stream's SR maps its RTP clock to the sender's wall clock, so each receiver knows how long
/// ago what it outputs was captured). When the picture comes later than the sound, the
/// sound waits: the jitter buffer's minimum delay is raised by the difference (libwebrtc's
/// StreamSynchronization, in small: half the difference per update, at most 80 ms a step, at
/// most 500 ms in all, nothing within 20 ms). When the sound comes later, the audio's extra
/// wait is let go; delaying the picture further is the renderer's part (`videoLag`).
struct LipSync: Sendable, Equatable {
    static let maximumStep = 0.08
    static let maximumExtraDelay = 0.5
    /// Offsets this small go unnoticed (ITU-R BT.1359: sound up to 45 ms early, 125 ms late).
    static let deadband = 0.02

    /// Seconds the audio waits beyond what its jitter buffer needs.
    private(set) var audioExtraDelay = 0.0
    /// Seconds the picture would have to wait to match the sound (0 when the sound waits).
    private(set) var videoLag = 0.0

    /// Capture-to-output delays of both, now (the audio's includes its extra delay already).
    mutating func update(audioDelay: Double, videoDelay: Double) {
        let difference = videoDelay - audioDelay  // > 0: the picture is later than the sound
        videoLag = max(0, -difference - audioExtraDelay)
        guard abs(difference) > Self.deadband, difference.isFinite else { return }
        let step = max(-Self.maximumStep, min(Self.maximumStep, difference / 2))
        audioExtraDelay = max(0, min(Self.maximumExtraDelay, audioExtraDelay + step))
    }
}
