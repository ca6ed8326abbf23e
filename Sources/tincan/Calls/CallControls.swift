import Foundation
import MediaCapture
import PeerConnection
import Synchronization

/// Commands typed (or piped) into `tincan call` while it runs, one per line, for a call in a
/// room (renegotiation needs a channel that carries later offers):
///
///   add-video      a second camera track (the call's video constraints; on a real camera
///                  the device must allow a second open), offered to the other side
///   remove-video   stops the last added track's transceiver: its section is refused in
///                  the next offer and the other side's track ends
///   restart-ice    an ICE restart (new credentials, new checks; the media goes on)
///
/// Each is confirmed or refused in one line on stderr.
enum CallControls {
    static let help = "add-video, remove-video, restart-ice"

    /// The lines of standard input, read on a thread of their own (a blocking read must not
    /// hold a thread of the cooperative pool). Ends at end of input.
    static func lines() -> AsyncStream<String> {
        let (stream, sink) = AsyncStream<String>.makeStream()
        let thread = Thread {
            while let line = readLine() { sink.yield(line.trimmingCharacters(in: .whitespaces)) }
            sink.finish()
        }
        thread.name = "tincan-stdin"
        thread.start()
        return stream
    }

    /// What the commands act on.
    final class Target: Sendable {
        let pc: RTCPeerConnection
        let negotiation: RoomNegotiation
        let devices: MediaDevices
        /// `{"video": ...}` of the call's constraints.
        let videoConstraints: String
        private let added = Mutex<[(sender: RTCRtpSender, track: MediaStreamTrack)]>([])

        init(pc: RTCPeerConnection, negotiation: RoomNegotiation, devices: MediaDevices, videoConstraints: String) {
            self.pc = pc
            self.negotiation = negotiation
            self.devices = devices
            self.videoConstraints = videoConstraints
        }

        /// Tracks added by `add-video` and still running: stopped when the call ends.
        var extraTracks: [MediaStreamTrack] { added.withLock { $0.map(\.track) } }

        func run(_ command: String) async {
            switch command {
            case "": return
            case "add-video":
                do {
                    let stream = try await devices.getUserMedia(jsonText: videoConstraints)
                    guard let track = stream.getVideoTracks().first else { throw RTCError(.operationError, "getUserMedia gave no video track") }
                    let sender = try pc.addTrack(track, streamId: "tincan-\(track.id.prefix(8))")
                    added.withLock { $0.append((sender, track)) }
                    Output.stderr("tincan: added a video track (\(track.label)); offering it")
                } catch {
                    let shown: any Error = (error as? MediaStreamError).map(Output.withHint) ?? error
                    Output.stderr("tincan: add-video failed: \(shown)")
                }
            case "remove-video":
                guard let last = added.withLock({ $0.popLast() }) else {
                    Output.stderr("tincan: remove-video: no added video track to remove")
                    return
                }
                guard let mid = pc.getTransceivers().first(where: { $0.sender === last.sender })?.mid else {
                    // Not offered yet: taking the track back is enough.
                    do { try await pc.removeTrack(last.sender) } catch { Output.stderr("tincan: remove-video failed: \(error)") }
                    last.track.stop()
                    return
                }
                do {
                    try await pc.stopTransceiver(mid: mid)
                    last.track.stop()
                    Output.stderr("tincan: removed the video track of mid \(mid); offering the change")
                } catch {
                    Output.stderr("tincan: remove-video failed: \(error)")
                }
            case "restart-ice":
                Output.stderr("tincan: restarting ICE")
                await negotiation.offer(iceRestart: true)
            default:
                Output.stderr("tincan: unknown command \"\(command)\" (commands: \(CallControls.help))")
            }
        }
    }

    /// The video member of a constraints text, as a constraints text of its own
    /// (`{"video": true}` when it has none or does not parse).
    static func videoConstraints(of constraints: String) -> String {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(constraints.utf8))) as? [String: Any],
              let video = object["video"], !(video is NSNull),
              let data = try? JSONSerialization.data(withJSONObject: ["video": video]) else { return #"{"video": true}"# }
        return String(decoding: data, as: UTF8.self)
    }
}
