import ArgumentParser
import Foundation
import Logging
import MediaCapture
import MediaPrimitives
import PeerConnection
import Signaling

/// Steps the media commands share.
enum CallSetup {
    /// getUserMedia on the chosen devices, after the user's permission; exits 1 with the DOM
    /// error when it rejects.
    static func getUserMedia(deviceOptions: DeviceOptions, permissionOptions: PermissionOptions, constraints: String) async throws -> MediaStream {
        try await getUserMedia(on: mediaDevices(deviceOptions: deviceOptions, permissionOptions: permissionOptions), constraints: constraints)
    }

    /// The devices the options name, behind the user's permission (kept by a call that may
    /// open another track later: `add-video`).
    static func mediaDevices(deviceOptions: DeviceOptions, permissionOptions: PermissionOptions) throws -> MediaDevices {
        let (video, audio) = try deviceOptions.devices()
        let permissions = try permissionOptions.broker()
        return MediaDevices(videoDevices: video, audioDevices: audio, permissions: permissions,
                            indicator: StderrCaptureIndicator(prefix: "tincan: "),
                            options: .init(captureAllowedByPolicy: DeviceOptions.captureAllowedByPolicy))
    }

    static func getUserMedia(on media: MediaDevices, constraints: String) async throws -> MediaStream {
        do {
            return try await media.getUserMedia(jsonText: constraints)
        } catch {
            Output.stderr("tincan: getUserMedia failed: \(Output.withHint(error))")
            throw ExitCode(1)
        }
    }

    /// The other side's hang-up, from the signaling channel where it has one.
    static func hangups(of exchange: any Sendable) -> AsyncStream<Void>? {
        if let room = exchange as? RoomClient {
            return AsyncStream { c in
                let t = Task { for await _ in room.byes { c.yield(()); break }; c.finish() }
                c.onTermination = { _ in t.cancel() }
            }
        }
        if let whip = exchange as? WHIPEndpoint {
            return AsyncStream { c in
                // ended() throws when the endpoint closed first: ours, not a hang-up.
                let t = Task { if (try? await whip.ended()) != nil { c.yield(()) }; c.finish() }
                c.onTermination = { _ in t.cancel() }
            }
        }
        return nil
    }

    /// An answered offer: the connection made for it, its events, when the offer came, and
    /// the tasks that forward the candidates the other side trickles (rooms, WHIP PATCH) and
    /// this side's own (rooms).
    struct Answered {
        var pc: RTCPeerConnection
        var events: PeerConnectionEventHub
        var offerAt: UInt64
        var trickle: Task<Void, Never>?
        var localCandidates: Task<Void, Never>?

        func cancelTrickle() {
            trickle?.cancel()
            localCandidates?.cancel()
        }
    }

    /// Waits for an offer and answers it on a new connection (`prepare` hooks it first).
    /// An offer the connection cannot take is refused on the channel with the reason (WHIP:
    /// 400, RFC 9725 §4.2) and, where the channel takes another offer, the next one is
    /// awaited on a fresh connection: one malformed POST does not end the receiver.
    static func answer(_ answering: any OfferAnswering, signaling: SignalingOptions, maxBitrate: Int? = nil,
                       tracks: [MediaStreamTrack] = [],
                       prepare: (RTCPeerConnection, PeerConnectionEventHub) -> Void) async throws -> Answered {
        while true {
            let offer = try await answering.receiveOffer()
            let offerAt = MonotonicClock.now()
            let pc = try peerConnection(signaling, maxBitrate: maxBitrate)
            let events = PeerConnectionEventHub.start(pc)
            prepare(pc, events)
            let answer: RTCSessionDescription
            do {
                try await pc.setRemoteDescription(RTCSessionDescription(type: .offer, sdp: offer))
                for track in tracks { try pc.addTrack(track) }
                answer = try await pc.createAnswer()
                try await pc.setLocalDescription(answer)
            } catch {
                await pc.close()
                let reason = "the offer cannot be answered: \(error)"
                guard try await answering.rejectOffer(reason: reason) else { throw error }
                Output.stderr("tincan: refused an offer (\(error)); waiting for the next one")
                continue
            }
            let trickle = forwardTrickledCandidates(from: answering, to: pc)
            // The channel holds them until the answer is out (CandidateTrickling).
            let local = forwardLocalCandidates(events, to: answering)
            do {
                try await answering.sendAnswer(answer.sdp)
            } catch {
                trickle?.cancel()
                local?.cancel()
                throw error
            }
            return Answered(pc: pc, events: events, offerAt: offerAt, trickle: trickle, localCandidates: local)
        }
    }

    /// Candidates the other side trickles, into the ICE agent: through a room (browsers and
    /// Tincan peers do), or PATCHed to our WHIP endpoint (RFC 9725 §4.3). An empty or nil
    /// candidate is its end-of-candidates.
    static func forwardTrickledCandidates(from exchange: any Sendable, to pc: RTCPeerConnection) -> Task<Void, Never>? {
        let candidates: AsyncStream<String?>
        if let room = exchange as? RoomClient {
            candidates = AsyncStream { c in
                let t = Task { for await candidate in room.candidates { c.yield(candidate.candidate) }; c.finish() }
                c.onTermination = { _ in t.cancel() }
            }
        } else if let whip = exchange as? WHIPEndpoint {
            candidates = whip.remoteCandidates
        } else {
            return nil
        }
        return Task {
            for await c in candidates {
                do { try await pc.addIceCandidate(c) } catch {
                    CLILog.call.notice("a trickled candidate was not taken (\(error)): \(c.map { $0.isEmpty ? "end-of-candidates" : $0 } ?? "end-of-candidates")")
                }
            }
        }
    }

    /// This side's candidates (`onicecandidate`) to the other side, through a channel that
    /// trickles (a room; a WHIP client's PATCH). They may come before the description is
    /// sent (today's connection gathers before createOffer returns) or after it (gathering in
    /// the background): the channel holds the early ones until its description is out and
    /// skips those the description carried.
    static func forwardLocalCandidates(_ events: PeerConnectionEventHub, to exchange: any Sendable) -> Task<Void, Never>? {
        guard let channel = exchange as? any CandidateTrickling else { return nil }
        let stream = events.subscribe()
        return Task {
            for await event in stream {
                guard case .iceCandidate(let candidate) = event else { continue }
                if let candidate { channel.trickle(candidate: candidate) } else { channel.trickleEndOfCandidates() }
            }
        }
    }

    static func number(_ entry: RTCStatsReport.Entry?, _ key: String) -> Double? {
        if case .number(let v)? = entry?[key] { return v }
        return nil
    }

    /// How the call connected: the time from the offer to connected, and the selected pair's
    /// candidate types and addresses (getStats local-candidate and remote-candidate).
    static func connectionSummary(_ stats: RTCStatsReport, offerToConnectedMs: Double) -> JSONValue {
        var members: [(String, JSONValue)] = [("offerToConnectedMs", .number(offerToConnectedMs))]
        for (key, type) in [("local", "local-candidate"), ("remote", "remote-candidate")] {
            guard let c = stats.first(type: type) else { continue }
            members.append(("\(key)CandidateType", c["candidateType"] ?? .null))
            if case .string(let address)? = c["address"], case .number(let port)? = c["port"] {
                members.append(("\(key)Address", .string("\(address):\(Int(port))")))
            }
        }
        return .object(members)
    }

    /// " (srflx 203.0.113.10:40000 -> srflx 203.0.113.20:40002)", or "" before a pair was selected.
    static func describePath(_ connection: JSONValue) -> String {
        guard case .object(let m) = connection else { return "" }
        func value(_ k: String) -> String? {
            if case .string(let s)? = m.first(where: { $0.0 == k })?.1 { return s }
            return nil
        }
        guard let lt = value("localCandidateType"), let rt = value("remoteCandidateType") else { return "" }
        return " (\(lt) \(value("localAddress") ?? "?") -> \(rt) \(value("remoteAddress") ?? "?"))"
    }

    /// What a sender reports at the end (the keys interop scripts read).
    static func senderSummary(_ stats: RTCStatsReport) -> JSONValue {
        let video = stats.first(type: "outbound-rtp", kind: "video"), audio = stats.first(type: "outbound-rtp", kind: "audio")
        var m: [(String, JSONValue)] = []
        if let v = number(video, "framesSent") { m.append(("videoFramesSent", .number(v))) }
        if let v = number(video, "frameWidth") { m.append(("width", .number(v))) }
        if let v = number(video, "frameHeight") { m.append(("height", .number(v))) }
        if let v = number(video, "bytesSent") { m.append(("videoBytesSent", .number(v))) }
        if let v = number(video, "retransmittedPacketsSent") { m.append(("videoRetransmittedPackets", .number(v))) }
        if let v = number(audio, "packetsSent") { m.append(("audioPacketsSent", .number(v))) }
        if let v = number(stats.first(type: "remote-inbound-rtp", kind: "video"), "roundTripTime") {
            m.append(("roundTripTimeMs", .number((v * 10000).rounded() / 10)))
        }
        return .object(m)
    }

    /// Writes `value` with the summary's keys also at the top level, so scripts find
    /// `videoFramesSent` without knowing the layout.
    static func write(_ value: JSONValue, to path: String, flattening summary: JSONValue) throws {
        var members: [(String, JSONValue)] = []
        if case .object(let s) = summary { members += s }
        if case .object(let v) = value { members += v }
        try Data(JSONValue.object(members).serialized.utf8).write(to: URL(fileURLWithPath: path))
    }
}
