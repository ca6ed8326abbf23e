import MediaCapture
import MediaCodecs
import MediaPrimitives

/// Where `tincan capture` writes a video track: raw (Y4M) or encoded (VP8 in IVF), chosen by
/// the file's extension.
protocol VideoFileSink: AnyObject {
    func write(_ frame: VideoFrame) throws
    func close() throws
}

/// Where `tincan capture` writes an audio track: raw (WAV) or encoded (Opus in Ogg).
protocol AudioFileSink: AnyObject {
    func write(_ frame: AudioFrame) throws
    func close() throws
}

extension Y4MWriter: VideoFileSink {}
extension WAVWriter: AudioFileSink {}

/// VP8 at the track's own frame rate into IVF: the encoder's time base and rate control
/// follow the capture timestamps, so a 10 fps track gets 10 fps worth of bits per frame.
final class VP8FileSink: VideoFileSink {
    private let encoder: VP8Encoder
    private let file: IVFWriter

    init(path: String, width: Int, height: Int, frameRate: Double, maxBitrate: Int?) throws {
        var configuration = VP8EncoderConfiguration(width: width, height: height, frameRate: frameRate)
        if let maxBitrate { configuration.maxBitrate = maxBitrate }
        encoder = try VP8Encoder(configuration: configuration)
        file = try IVFWriter(path: path, width: width, height: height)
    }

    func write(_ frame: VideoFrame) throws {
        for encoded in try encoder.encode(frame) { try file.write(encoded) }
    }

    func close() throws {
        for encoded in try encoder.flush() { try file.write(encoded) }
        try file.close()
    }
}

/// Opus (48 kHz, 20 ms) into Ogg (RFC 7845), pre-skip from the encoder's lookahead.
final class OpusFileSink: AudioFileSink {
    private let encoder: OpusEncoder
    private let file: OggOpusWriter

    init(path: String, channelCount: Int) throws {
        encoder = try OpusEncoder(configuration: OpusEncoderConfiguration(channelCount: channelCount))
        file = try OggOpusWriter(path: path, channels: channelCount, preSkip: encoder.lookahead)
    }

    func write(_ frame: AudioFrame) throws {
        for packet in try encoder.encode(frame) { try file.write(packet) }
    }

    func close() throws { try file.close() }
}

enum TrackFileSinks {
    static func video(path: String, settings: MediaTrackSettings, maxBitrate: Int?) throws -> any VideoFileSink {
        try video(path: path, width: settings.width ?? 0, height: settings.height ?? 0, frameRate: settings.frameRate ?? 30, maxBitrate: maxBitrate)
    }

    static func video(path: String, width: Int, height: Int, frameRate rate: Double, maxBitrate: Int?) throws -> any VideoFileSink {
        switch path.split(separator: ".").last?.lowercased() {
        case "y4m": return try Y4MWriter(path: path, width: width, height: height, frameRate: rate)
        case "ivf": return try VP8FileSink(path: path, width: width, height: height, frameRate: rate, maxBitrate: maxBitrate)
        default: throw TrackFileSinkError("--video-out \(path): use a .y4m (raw I420) or .ivf (VP8) file")
        }
    }

    static func audio(path: String, settings: MediaTrackSettings) throws -> any AudioFileSink {
        try audio(path: path, sampleRate: settings.sampleRate ?? 48000, channelCount: settings.channelCount ?? 1)
    }

    static func audio(path: String, sampleRate rate: Int, channelCount channels: Int) throws -> any AudioFileSink {
        switch path.split(separator: ".").last?.lowercased() {
        case "wav": return try WAVWriter(path: path, sampleRate: rate, channelCount: channels)
        case "ogg", "opus":
            guard rate == 48000 else { throw TrackFileSinkError("--audio-out \(path): Opus needs 48000 Hz audio, the track has \(rate) Hz; ask for {\"sampleRate\": 48000} or write .wav") }
            return try OpusFileSink(path: path, channelCount: channels)
        default: throw TrackFileSinkError("--audio-out \(path): use a .wav (16-bit PCM) or .ogg (Opus) file")
        }
    }
}

struct TrackFileSinkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
