import Foundation
import MediaPrimitives
import PeerConnection
import Synchronization

/// The other side's tracks as they come and go during a call (a renegotiation adds or ends
/// one): a line on stderr for each after the first exchange, and the list for the summary
/// (`receivedTracks`: mid, kind, video frames decoded, whether it ended; packets received
/// while it is live).
final class RemoteTrackLog: Sendable {
    private struct Track {
        var mid: String?
        var kind: String
        var ended = false
        var framesDecoded = 0
    }
    private struct State {
        var tracks: [ObjectIdentifier: Track] = [:]
        var order: [ObjectIdentifier] = []
        var announcing = false
        /// Tracks there when the call came up: not announced.
        var known: Set<String> = []
    }
    private let state = Mutex(State())
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(events: PeerConnectionEventHub) {
        let stream = events.subscribe()
        let t = Task { [self] in
            for await event in stream {
                switch event {
                case .track(let receiver, let mid):
                    let id = ObjectIdentifier(receiver)
                    let announce = state.withLock { s in
                        s.tracks[id] = Track(mid: mid, kind: receiver.kind.rawValue)
                        s.order.append(id)
                        return s.announcing && !s.known.contains(mid ?? "")
                    }
                    if receiver.kind == .video {
                        receiver.addVideoSink { [weak self] _ in self?.state.withLock { $0.tracks[id]?.framesDecoded += 1 } }
                    }
                    if announce { Output.stderr("tincan: the other side added \(receiver.kind == .audio ? "an audio" : "a video") track (mid \(mid ?? "?"))") }
                case .remoteEnded(let receiver):
                    let (announce, mid) = state.withLock { s in
                        s.tracks[ObjectIdentifier(receiver)]?.ended = true
                        return (s.announcing, s.tracks[ObjectIdentifier(receiver)]?.mid)
                    }
                    if announce { Output.stderr("tincan: the other side's \(receiver.kind.rawValue) track (mid \(mid ?? "?")) ended") }
                default:
                    break
                }
            }
        }
        task.withLock { $0 = t }
    }

    /// From now on (the call is up), tracks that come or end are said; those of the `known`
    /// mids (the first exchange's) are not.
    func startAnnouncing(known: [String]) {
        state.withLock { s in
            s.announcing = true
            s.known = Set(known)
        }
    }

    func stop() { task.withLock { $0 }?.cancel() }

    /// One entry per track the other side sent, in order, with its frames from `stats`.
    func summary(_ stats: RTCStatsReport) -> JSONValue {
        let tracks = state.withLock { s in s.order.compactMap { s.tracks[$0] } }
        return .array(tracks.map { t in
            let inbound = stats.entries.first { e in
                guard e.type == "inbound-rtp", case .string(let mid)? = e["mid"] else { return false }
                return mid == t.mid
            }
            var m: [(String, JSONValue)] = [("mid", .string(t.mid ?? "")), ("kind", .string(t.kind)), ("ended", .bool(t.ended))]
            if t.kind == "video" { m.append(("framesDecoded", .number(Double(t.framesDecoded)))) }
            if let packets = CallSetup.number(inbound, "packetsReceived") { m.append(("packetsReceived", .number(packets))) }
            return .object(m)
        })
    }
}
