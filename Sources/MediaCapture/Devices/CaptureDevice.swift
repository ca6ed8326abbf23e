import AudioProcessing
import MediaPrimitives
/// The device model every source plugs into: the fake devices here, the V4L2 and ALSA
/// devices in LinuxCapture. A device describes its native modes; the constraint engine picks
/// one; the device then captures in that mode on a thread of its own.

/// `MediaDeviceInfo.kind`.
public enum MediaDeviceKind: String, Sendable, Codable, Hashable {
    case videoinput
    case audioinput
}

/// A native camera mode: what the hardware itself delivers, before any crop-and-scale or
/// frame-rate decimation done by the track.
public struct VideoMode: Sendable, Hashable, Codable {
    public var width: Int
    public var height: Int
    public var frameRate: Double
    /// The device's pixel format (FourCC name such as "YUYV", "NV12", "MJPG"). Frames reach
    /// the track as I420 whatever it is.
    public var pixelFormat: String

    public init(width: Int, height: Int, frameRate: Double, pixelFormat: String = "I420") {
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.pixelFormat = pixelFormat
    }
}

/// What a microphone can do; each list holds the discrete values it supports. `true` in
/// `echoCancellation`, `autoGainControl` and `noiseSuppression` is done by the track
/// (`MicrophoneProcessing`), and offered only in the formats its library takes (8, 16, 32,
/// 48 kHz; 1 or 2 channels); a device that must not be processed says `[false]`.
public struct AudioDeviceCapabilities: Sendable, Hashable, Codable {
    public var sampleRates: [Int]
    public var sampleSizes: [Int]
    public var channelCounts: [Int]
    public var echoCancellation: [Bool]
    public var autoGainControl: [Bool]
    public var noiseSuppression: [Bool]
    public var latencies: [Double]

    public init(
        sampleRates: [Int] = [48000], sampleSizes: [Int] = [16], channelCounts: [Int] = [1, 2],
        echoCancellation: [Bool] = [true, false], autoGainControl: [Bool] = [true, false],
        noiseSuppression: [Bool] = [true, false], latencies: [Double] = [0.01]
    ) {
        self.sampleRates = sampleRates
        self.sampleSizes = sampleSizes
        self.channelCounts = channelCounts
        self.echoCancellation = echoCancellation
        self.autoGainControl = autoGainControl
        self.noiseSuppression = noiseSuppression
        self.latencies = latencies
    }
}

/// The echoCancellation, noiseSuppression and autoGainControl a microphone's track gets where
/// the constraints leave them open: SelectSettings' "User Agent default property values"
/// (Media Capture and Streams, §SelectSettings). A microphone in a room defaults to all three
/// on, as browsers do; a source that is not acoustic (a WAV file, the synthetic tone) defaults
/// to off, because there is no echo, room noise or level to fix and processing would change
/// what the file holds. Either can still be asked for: this only breaks ties. The same three
/// values the processing runs with, so one type.
public typealias AudioProcessingDefaults = AudioProcessingModule.Settings

/// The mode a microphone is opened in.
public struct AudioMode: Sendable, Hashable, Codable {
    public var sampleRate: Int
    public var sampleSize: Int
    public var channelCount: Int

    public init(sampleRate: Int, sampleSize: Int = 16, channelCount: Int) {
        self.sampleRate = sampleRate
        self.sampleSize = sampleSize
        self.channelCount = channelCount
    }
}

extension AudioCaptureDevice {
    /// A microphone in a room unless the device says otherwise.
    public var processingDefaults: AudioProcessingDefaults { .on }
}

/// A running capture: stopping it releases the device (the camera light goes off).
public protocol CaptureSession: AnyObject, Sendable {
    /// Stops delivery and releases the device. Safe to call more than once.
    func stop()
}

/// Why a capture ended on its own (not through `stop()`).
public typealias CaptureEndHandler = @Sendable (MediaStreamError?) -> Void

/// A camera.
public protocol VideoCaptureDevice: Sendable {
    var deviceId: String { get }
    var groupId: String { get }
    var label: String { get }
    /// "user", "environment", "left", "right", or nil when the device does not say.
    var facingMode: String? { get }
    /// Native modes. The constraint engine chooses among these (plus crop-and-scale).
    var modes: [VideoMode] { get }
    /// Resize modes the device allows: "none" and usually "crop-and-scale".
    var resizeModes: [String] { get }
    /// The backgroundBlur values the source can produce (mediacapture-extensions): [false]
    /// for a camera that never blurs, [true] for one that always does, both when it can be
    /// switched.
    var backgroundBlur: [Bool] { get }
    /// Whether a sink may hold the device's thread longer than a frame interval: true for a
    /// device that then leaves frames out (a paced fake camera), so that an encoder can run
    /// on its thread, the frame still in cache and no hop to a thread of its own. False for a
    /// V4L2 camera, whose filled buffers would wait in the driver's queue, late.
    var toleratesSlowSinks: Bool { get }

    /// Opens the device in `mode` and delivers I420 frames to `onFrame` from a thread of the
    /// device's own. Throws NotReadableError when busy or failing.
    func start(
        mode: VideoMode,
        onFrame: @escaping @Sendable (VideoFrame) -> Void,
        onEnd: @escaping CaptureEndHandler
    ) throws(MediaStreamError) -> CaptureSession
}

extension VideoCaptureDevice {
    /// No camera here blurs its background unless it says so.
    public var backgroundBlur: [Bool] { [false] }
    public var toleratesSlowSinks: Bool { false }
}

/// A microphone.
public protocol AudioCaptureDevice: Sendable {
    var deviceId: String { get }
    var groupId: String { get }
    var label: String { get }
    var capabilities: AudioDeviceCapabilities { get }
    /// Settings the device prefers when constraints leave a choice (e.g. `channelCount: 1`).
    var defaultMode: AudioMode { get }
    /// The processing its track gets when constraints leave a choice.
    var processingDefaults: AudioProcessingDefaults { get }

    /// Opens the device and delivers 10 ms frames to `onFrame` from a thread of its own, in
    /// real time even when the device itself does not pace.
    func start(
        mode: AudioMode,
        onFrame: @escaping @Sendable (AudioFrame) -> Void,
        onEnd: @escaping CaptureEndHandler
    ) throws(MediaStreamError) -> CaptureSession
}
