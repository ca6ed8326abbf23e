import AudioProcessing
import Foundation
import LinuxCapture
import MediaCapture
import PeerConnection
import Synchronization

/// Plays the received audio on an ALSA device (`--audio-output`): each audio receiver's
/// jitter buffer (`RTCRtpReceiver.startPlayout()`) feeds an `ALSAAudioOutput`, whose thread
/// asks for 10 ms at a time. A device that cannot be opened (no sound card on a server) is
/// one warning with its name, and the call goes on without sound: the audio is still decoded
/// for `--audio-out` and the report. What plays is the far end of the microphone tracks' echo
/// cancellers (`EchoCancellationReference.shared`).
final class ReceivedAudioPlayout: Sendable {
    let device: String?
    /// The outputs started; `stopped` once `stop()` ran (an output opened after that is
    /// stopped at once).
    private let outputs = Mutex<(running: [ALSAAudioOutput], stopped: Bool)>(([], false))
    private let warned = Atomic<Bool>(false)

    init(device: String?) { self.device = device }

    /// Plays `receiver` if it is audio. The device is opened on a thread of its own: opening
    /// is device I/O (through a sound server's plugin it may wait), not for the cooperative
    /// pool this is called from.
    func attach(_ receiver: RTCRtpReceiver) {
        guard let device, receiver.kind == .audio, let playout = receiver.startPlayout() else { return }
        // The device's queue is part of the audio's delay, for lip sync.
        playout.outputLatency = Double(ALSAAudioOutput.leadFrames) / Double(AudioPlayoutSource.sampleRate)
        Thread.detachNewThread { [self] in open(device, for: receiver, playout) }
    }

    private func open(_ device: String, for receiver: RTCRtpReceiver, _ playout: AudioPlayoutSource) {
        let output: ALSAAudioOutput
        do {
            output = try ALSAAudioOutput.start(
                device: device, sampleRate: AudioPlayoutSource.sampleRate, channelCount: playout.channelCount,
                // What plays is what this process's microphone tracks cancel as echo.
                echoReference: .shared,
                read: { playout.read() },
                onError: { [self] error in
                    receiver.stopPlayout()
                    Output.stderr("tincan: warning: the audio output \(device) failed, the call goes on without sound: \(error.message)")
                    _ = warned.exchange(true, ordering: .relaxed)
                })
        } catch {
            receiver.stopPlayout()
            guard !warned.exchange(true, ordering: .relaxed) else { return }
            Output.stderr("tincan: warning: cannot play the received audio on ALSA device '\(device)': \(error.message); the call goes on without sound (--audio-output DEVICE to pick another, --no-audio-output to not try)")
            return
        }
        let late = outputs.withLock { o -> Bool in
            if !o.stopped { o.running.append(output) }
            return o.stopped
        }
        if late { output.stop() }
    }

    /// Stops the outputs (their threads are joined off the cooperative pool).
    func stop() async {
        let outputs = outputs.withLock { o -> [ALSAAudioOutput] in
            defer { o = ([], true) }
            return o.running
        }
        guard !outputs.isEmpty else { return }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                for output in outputs { output.stop() }
                done.resume()
            }
        }
    }
}
