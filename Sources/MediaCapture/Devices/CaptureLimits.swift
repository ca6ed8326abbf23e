/// The largest media the fake and file devices take: room for real cameras, microphones and
/// clips (8K pictures, 384 kHz, 32 channels), small enough that a hostile devices file or
/// media file cannot make one frame cost gigabytes or one getUserMedia call millions of
/// candidate settings. Each error that enforces a limit names the field and the limit.
public enum CaptureLimits {
    /// Picture width and height, each (VP8 itself stops at 16383; an 8192x8192 I420 frame is
    /// 96 MiB).
    public static let pictureSides: ClosedRange<Int> = 1...8192
    /// Frames per second: a slide every 10 s up to high-speed cameras.
    public static let frameRates: ClosedRange<Double> = 0.1...1000
    /// Hz: telephone to studio rates.
    public static let sampleRates: ClosedRange<Int> = 8000...384_000
    public static let channelCounts: ClosedRange<Int> = 1...32
    /// Bits per sample.
    public static let sampleSizes: ClosedRange<Int> = 8...32
    /// Seconds.
    public static let latencies: ClosedRange<Double> = 0...10

    /// The devices file (JSON): its size, how many devices, modes per camera, values per
    /// microphone list, and the settings combinations one microphone may offer.
    public static let devicesFileBytes = 4 << 20
    public static let devices = 64
    public static let modesPerCamera = 64
    public static let valuesPerList = 16
    public static let audioCombinations = 4096

    /// A WAV file's samples are held in memory (the fake microphone loops them): 256 MiB is
    /// 23 minutes of 48 kHz stereo.
    public static let wavDataBytes = 256 << 20

    /// "1-8192" / "8000-384000": a range as an error message prints it.
    static func text<T>(_ r: ClosedRange<T>) -> String {
        "\(r.lowerBound)-\(r.upperBound)"
    }

    /// Checks a camera mode; the error names `field` (e.g. "devices[0].modes[2]").
    static func check(_ mode: VideoMode, _ field: String) -> String? {
        if !pictureSides.contains(mode.width) { return "\(field).width \(mode.width) is outside \(text(pictureSides))" }
        if !pictureSides.contains(mode.height) { return "\(field).height \(mode.height) is outside \(text(pictureSides))" }
        if !frameRates.contains(mode.frameRate) { return "\(field).frameRate \(mode.frameRate) is outside \(text(frameRates)) fps" }
        return nil
    }

    /// Checks a microphone mode.
    static func check(_ mode: AudioMode, _ field: String) -> String? {
        if !sampleRates.contains(mode.sampleRate) { return "\(field).sampleRate \(mode.sampleRate) is outside \(text(sampleRates)) Hz" }
        if !channelCounts.contains(mode.channelCount) { return "\(field).channelCount \(mode.channelCount) is outside \(text(channelCounts))" }
        if !sampleSizes.contains(mode.sampleSize) { return "\(field).sampleSize \(mode.sampleSize) is outside \(text(sampleSizes)) bits" }
        return nil
    }
}
