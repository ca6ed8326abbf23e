import Foundation
import MediaCapture
import PeerConnection
import Synchronization

/// Writes what a receiver decodes to files (raw Y4M/WAV or re-encoded IVF/Ogg), opened at
/// the first frame, when its size and rate are known.
final class ReceivedMediaRecorder: Sendable {
    private let videoPath: String?
    private let audioPath: String?
    private let video = Mutex<(any VideoFileSink)?>(nil)
    private let audio = Mutex<(any AudioFileSink)?>(nil)
    private let errors = Mutex<[String]>([])

    init(videoPath: String?, audioPath: String?) {
        self.videoPath = videoPath
        self.audioPath = audioPath
    }

    func attach(_ receiver: RTCRtpReceiver) {
        if receiver.kind == .video, let videoPath {
            receiver.addVideoSink { [self] frame in
                video.withLock { sink in
                    do {
                        if sink == nil { sink = try TrackFileSinks.video(path: videoPath, width: frame.width, height: frame.height, frameRate: 30, maxBitrate: nil) }
                        try sink?.write(frame)
                    } catch { note("\(error)") }
                }
            }
        }
        if receiver.kind == .audio, let audioPath {
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
        return errors.withLock { $0 }
    }
}
