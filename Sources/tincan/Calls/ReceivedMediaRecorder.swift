import Foundation
import MediaCapture
import MediaCodecs
import PeerConnection
import Synchronization

/// Writes what a receiver gets to files, opened at the first frame (when its size is known):
/// VP8 into IVF and Opus into Ogg as received, without re-encoding; decoded pictures into
/// Y4M and decoded audio into WAV.
final class ReceivedMediaRecorder: Sendable {
    private let videoPath: String?
    private let audioPath: String?
    private let video = Mutex<(any VideoFileSink)?>(nil)
    private let audio = Mutex<(any AudioFileSink)?>(nil)
    private let ivf = Mutex<IVFWriter?>(nil)
    private let ogg = Mutex<OggOpusWriter?>(nil)
    private let errors = Mutex<[String]>([])

    init(videoPath: String?, audioPath: String?) {
        self.videoPath = videoPath
        self.audioPath = audioPath
    }

    private static func isEncoded(_ path: String, _ ext: String) -> Bool { path.lowercased().hasSuffix("." + ext) }

    func attach(_ receiver: RTCRtpReceiver) {
        if receiver.kind == .video, let videoPath, Self.isEncoded(videoPath, "ivf") {
            receiver.addEncodedVideoSink { [self] frame in
                ivf.withLock { file in
                    do {
                        if file == nil { file = try IVFWriter(path: videoPath, width: frame.width, height: frame.height) }
                        try file?.write(frame)
                    } catch { note("\(error)") }
                }
            }
        } else if receiver.kind == .video, let videoPath {
            receiver.addVideoSink { [self] frame in
                video.withLock { sink in
                    do {
                        if sink == nil { sink = try TrackFileSinks.video(path: videoPath, width: frame.width, height: frame.height, frameRate: 30, maxBitrate: nil) }
                        try sink?.write(frame)
                    } catch { note("\(error)") }
                }
            }
        }
        if receiver.kind == .audio, let audioPath, Self.isEncoded(audioPath, "ogg") {
            receiver.addEncodedAudioSink { [self] packet in
                ogg.withLock { file in
                    do {
                        // Pre-skip: the sender's encoder lookahead is unknown; 312 samples is libopus's.
                        if file == nil { file = try OggOpusWriter(path: audioPath, channels: packet.channelCount, preSkip: 312) }
                        try file?.write(packet)
                    } catch { note("\(error)") }
                }
            }
        } else if receiver.kind == .audio, let audioPath {
            receiver.addAudioSink { [self] frame in
                audio.withLock { sink in
                    do {
                        if sink == nil { sink = try TrackFileSinks.audio(path: audioPath, sampleRate: frame.sampleRate, channelCount: frame.channelCount) }
                        try sink?.write(frame)
                    } catch { note("\(error)") }
                }
            }
        }
    }

    private func note(_ error: String) {
        errors.withLock { e in if e.count < 5 { e.append(error) } }
    }

    /// Closes the files; returns the first errors met.
    func finish() -> [String] {
        video.withLock { s in if let sink = s { do { try sink.close() } catch { note("\(error)") } }; s = nil }
        audio.withLock { s in if let sink = s { do { try sink.close() } catch { note("\(error)") } }; s = nil }
        ivf.withLock { f in do { try f?.close() } catch { note("\(error)") }; f = nil }
        ogg.withLock { f in do { try f?.close() } catch { note("\(error)") }; f = nil }
        return errors.withLock { $0 }
    }
}
