import CallSimulation
import MediaCapture
import NIOCore
import NIOEmbedded
import NetworkPrimitives
@testable import PeerConnection
import SDP
import Synchronization
import Testing
import VirtualNetwork

/// Renegotiation during a call (WebRTC 1.0 §4.7, RFC 8829 §5.2.2, §5.3.2): a track added,
/// removed or stopped mid-call reaches the peer in a new offer; an ICE restart (RFC 8445 §9)
/// keeps the call; glare is resolved the way "perfect negotiation" does (the polite peer's
/// offer is rolled back). Whole calls on the simulated network, in simulated time.
@Suite struct RenegotiationTests {
    static let ipA = IPAddress("10.0.0.1")!
    static let ipB = IPAddress("10.0.0.2")!

    /// Two connections on one simulated loop, each with two fake cameras and a microphone,
    /// and every event of each recorded.
    final class Call: Sendable {
        let loop: NIOAsyncTestingEventLoop
        let a: RTCPeerConnection
        let b: RTCPeerConnection
        let devicesA: MediaDevices
        let devicesB: MediaDevices
        let eventsA = EventLog()
        let eventsB = EventLog()
        /// Decoded video frames per receiver (by ObjectIdentifier), for both sides.
        let decoded = FrameCounts()

        init() async throws {
            loop = NIOAsyncTestingEventLoop()
            await loop.advanceTime(by: .seconds(1))  // frame timestamps of 0 read as "no time"
            let network = SimulatedNetwork(eventLoop: loop, seed: 7)
            let link = LinkScenario(steps: [.init(at: .zero, conditions: try LinkSpec(parsing: "5mbit,20ms").conditions)])
            network.setLink(from: Self.ipA, to: Self.ipB, scenario: link)
            network.setLink(from: Self.ipB, to: Self.ipA, scenario: link)
            let pacer = LoopCapturePacer(eventLoop: loop)
            func devices() -> MediaDevices {
                let modes = [VideoMode(width: 320, height: 240, frameRate: 30)]
                return MediaDevices(
                    videoDevices: [SyntheticCamera(deviceId: "cam-1", modes: modes, pacer: pacer),
                                   SyntheticCamera(deviceId: "cam-2", modes: modes, pacer: pacer)],
                    audioDevices: [SyntheticMicrophone(pacer: pacer)],
                    permissions: StaticPermissions(granted: [.camera, .microphone]), indicator: SilentCaptureIndicator(),
                    options: .init(pacer: pacer))
            }
            devicesA = devices()
            devicesB = devices()
            a = try RTCPeerConnection(settings: RTCSettingEngine(eventLoop: loop, network: network.host(Self.ipA),
                                                                  encodesOnEventLoop: true, simulatedTime: true))
            b = try RTCPeerConnection(settings: RTCSettingEngine(eventLoop: loop, network: network.host(Self.ipB),
                                                                  encodesOnEventLoop: true, simulatedTime: true))
            for (pc, log) in [(a, eventsA), (b, eventsB)] {
                Task { [decoded] in
                    for await event in pc.events {
                        log.events.withLock { $0.append(event) }
                        if case .track(let receiver, _) = event, receiver.kind == .video {
                            let id = ObjectIdentifier(receiver)
                            receiver.addVideoSink { picture in
                                let number = SyntheticPattern.readFrameNumber(from: picture)
                                decoded.counts.withLock { $0[id, default: 0] += 1 }
                                if let number { decoded.lastNumber.withLock { $0[id] = number } }
                            }
                        }
                    }
                }
            }
        }

        static let ipA = RenegotiationTests.ipA
        static let ipB = RenegotiationTests.ipB

        func camera(_ devices: MediaDevices, _ id: String) async throws -> MediaStreamTrack {
            let stream = try await devices.getUserMedia(jsonText: #"{"video": {"deviceId": {"exact": "\#(id)"}}}"#)
            return try #require(stream.getVideoTracks().first)
        }

        /// One offer/answer exchange, `offerer` first.
        @discardableResult
        func exchange(from offerer: RTCPeerConnection, to answerer: RTCPeerConnection,
                      _ options: RTCOfferOptions = RTCOfferOptions()) async throws -> (offer: SessionDescription, answer: SessionDescription) {
            let offer = try await offerer.createOffer(options)
            try await offerer.setLocalDescription(offer)
            try await answerer.setRemoteDescription(offer)
            let answer = try await answerer.createAnswer()
            try await answerer.setLocalDescription(answer)
            try await offerer.setRemoteDescription(answer)
            return (try SessionDescription(parsing: offer.sdp), try SessionDescription(parsing: answer.sdp))
        }

        /// Advances the simulated clock in 5 ms steps until `condition` holds (true) or
        /// `limit` has passed (false).
        func advance(until condition: () -> Bool, within limit: TimeAmount) async -> Bool {
            let start = loop.now
            while !condition() {
                guard loop.now - start < limit else { return false }
                await loop.advanceTime(by: .milliseconds(5))
            }
            return true
        }

        func advance(_ duration: TimeAmount) async {
            _ = await advance(until: { false }, within: duration)
        }

        func connected() -> Bool { a.connectionState == .connected && b.connectionState == .connected }

        func lastFrameNumber(_ receiver: RTCRtpReceiver) -> Int? { decoded.lastNumber.withLock { $0[ObjectIdentifier(receiver)] } }

        func frames(_ receiver: RTCRtpReceiver) -> Int { decoded.counts.withLock { $0[ObjectIdentifier(receiver), default: 0] } }

        /// Lets the readers of `events` catch up (they run as tasks beside the loop).
        func settle() async {
            for _ in 0..<20 { await Task.yield() }
            await loop.advanceTime(by: .milliseconds(1))
            for _ in 0..<20 { await Task.yield() }
        }

        func count(_ log: EventLog, where match: (RTCPeerConnectionEvent) -> Bool) async -> Int {
            await settle()
            return log.events.withLock { $0.filter(match).count }
        }

        func tracks(_ log: EventLog) async -> [(RTCRtpReceiver, String?)] {
            await settle()
            return log.events.withLock { $0.compactMap { if case .track(let r, let mid) = $0 { (r, mid) } else { nil } } }
        }

        func ended(_ log: EventLog) async -> [RTCRtpReceiver] {
            await settle()
            return log.events.withLock { $0.compactMap { if case .remoteEnded(let r) = $0 { r } else { nil } } }
        }

        func close() async {
            await a.close()
            await b.close()
            await loop.shutdownGracefully()
        }
    }

    /// Every event of one connection, in order.
    final class EventLog: Sendable {
        let events = Mutex<[RTCPeerConnectionEvent]>([])
    }

    /// Decoded video frames per receiver.
    final class FrameCounts: Sendable {
        let counts = Mutex<[ObjectIdentifier: Int]>([:])
        /// The frame counter the synthetic camera drew into the latest picture.
        let lastNumber = Mutex<[ObjectIdentifier: Int]>([:])
    }

    static func isNegotiationNeeded(_ e: RTCPeerConnectionEvent) -> Bool { if case .negotiationNeeded = e { true } else { false } }

    static func ufrag(_ description: RTCSessionDescription?) throws -> String? {
        let sdp = try #require(description).sdp
        return try SessionDescription(parsing: sdp).media.first?.iceUfrag
    }

    /// A calls B with one camera and connects.
    static func connectedCall() async throws -> (Call, RTCRtpSender) {
        let call = try await Call()
        let first = try await call.addCamera(on: call.a, "cam-1")
        try await call.exchange(from: call.a, to: call.b)
        #expect(await call.advance(until: call.connected, within: .seconds(5)), "the call connects")
        return (call, first)
    }

    @Test func aTrackAddedMidCallIsOfferedReceivedAndThenRemoved() async throws {
        let (call, _) = try await Self.connectedCall()
        defer { Task { await call.close() } }
        let firstReceiver = try #require(await call.tracks(call.eventsB).first?.0)
        #expect(await call.advance(until: { call.frames(firstReceiver) >= 30 }, within: .seconds(3)), "the first camera plays")
        let neededBefore = await call.count(call.eventsA, where: Self.isNegotiationNeeded)

        // A second camera mid-call: negotiationneeded, then a re-offer with a third section.
        let second = try await call.addCamera(on: call.a, "cam-2")
        #expect(await call.count(call.eventsA, where: Self.isNegotiationNeeded) == neededBefore + 1)
        let (offer, answer) = try await call.exchange(from: call.a, to: call.b)
        #expect(offer.media.map(\.mid) == ["0", "1"], "the first section keeps its mid and place, the new one is added")
        #expect(offer.media.allSatisfy { $0.setup == .actpass })
        #expect(answer.media.allSatisfy { $0.setup == .active }, "the answerer keeps its DTLS role (RFC 8842 §5.5)")
        #expect(call.a.signalingState == .stable && call.b.signalingState == .stable)
        let tracks = await call.tracks(call.eventsB)
        try #require(tracks.count == 2, "B is told of the new track")
        #expect(tracks[1].1 == "1")
        let secondReceiver = tracks[1].0
        #expect(await call.advance(until: { call.frames(secondReceiver) >= 30 }, within: .seconds(3)),
                "the second camera plays at B: \(call.frames(secondReceiver)) frames")
        #expect(call.connected())

        let baseline = call.frames(firstReceiver)
        await call.advance(.seconds(1))
        let rateWithTwo = call.frames(firstReceiver) - baseline
        // Removed: it stops at once; the next exchange makes the section inactive and B's
        // receiver ends, while the first camera goes on.
        try await call.a.removeTrack(second)
        #expect(await call.count(call.eventsA, where: Self.isNegotiationNeeded) == neededBefore + 2)
        let (reoffer, reanswer) = try await call.exchange(from: call.a, to: call.b)
        #expect(reoffer.direction(forMediaAt: 1) == .recvonly)
        #expect(reanswer.direction(forMediaAt: 1) == .inactive)
        #expect(await call.ended(call.eventsB).contains { $0 === secondReceiver }, "B's receiver of the removed track ends")
        let endedAtB = await call.ended(call.eventsB)
        #expect(!endedAtB.contains { $0 === firstReceiver })
        let before = call.frames(firstReceiver)
        await call.advance(.seconds(1))
        let rateAfter = call.frames(firstReceiver) - before
        #expect(rateWithTwo >= 15 && rateAfter >= rateWithTwo * 8 / 10,
                "the first camera keeps playing: \(rateWithTwo) frames/s with two cameras, \(rateAfter) after the removal")
        #expect(call.connected())
        #expect(reoffer.origin.sessionVersion > offer.origin.sessionVersion)
    }

    @Test func aStoppedTransceiverKeepsItsSectionRefused() async throws {
        let (call, _) = try await Self.connectedCall()
        defer { Task { await call.close() } }
        _ = try await call.addCamera(on: call.a, "cam-2")
        try await call.exchange(from: call.a, to: call.b)
        let second = try #require(await call.tracks(call.eventsB).last?.0)
        try await call.a.stopTransceiver(mid: "1")
        let (offer, answer) = try await call.exchange(from: call.a, to: call.b)
        #expect(offer.media.count == 2 && offer.media[1].isRejected && offer.media[1].mid == "1", "port 0, same mid and place")
        #expect(offer.bundleGroup == ["0"])
        #expect(answer.media[1].isRejected)
        #expect(await call.ended(call.eventsB).contains { $0 === second })
        #expect(call.b.getTransceivers().first { $0.mid == "1" }?.stopped == true)
        // A third camera track takes a new section; the refused one stays where it is.
        _ = try await call.addCamera(on: call.a, "cam-1")
        let (third, _) = try await call.exchange(from: call.a, to: call.b)
        #expect(third.media.map(\.mid) == ["0", "1", "2"] && third.media[1].isRejected && !third.media[2].isRejected)
        #expect(call.connected())
    }

    @Test func theAnswererMayOfferToo() async throws {
        // B, which answered, adds a camera and offers: A receives it; DTLS roles stay.
        let (call, _) = try await Self.connectedCall()
        defer { Task { await call.close() } }
        let track = try await call.camera(call.devicesB, "cam-2")
        try call.b.addTrack(track)
        let (offer, answer) = try await call.exchange(from: call.b, to: call.a)
        #expect(offer.media.count == 1, "B's camera goes into A's section, which B only received on")
        #expect(offer.direction(forMediaAt: 0) == .sendrecv)
        #expect(answer.media[0].setup == .passive, "A was the DTLS server and stays one")
        let received = try #require(await call.tracks(call.eventsA).first?.0)
        #expect(await call.advance(until: { call.frames(received) >= 30 }, within: .seconds(3)), "B's camera plays at A")
    }

    /// The receivers' RTCP timer is armed only while something receives: a side that only
    /// sends is not woken for nothing, and a track the peer adds mid-call arms it.
    @Test func theRTCPTimerRunsOnlyWhileSomethingReceives() async throws {
        let (call, _) = try await Self.connectedCall()
        defer { Task { await call.close() } }
        await call.advance(.milliseconds(200))
        #expect(!call.a.isRTCPTimerArmed, "A only sends")
        #expect(call.b.isRTCPTimerArmed, "B receives A's camera")
        try call.b.addTrack(try await call.camera(call.devicesB, "cam-2"))
        try await call.exchange(from: call.b, to: call.a)
        let received = try #require(await call.tracks(call.eventsA).first?.0)
        #expect(await call.advance(until: { call.frames(received) >= 10 }, within: .seconds(3)), "B's camera plays at A")
        #expect(call.a.isRTCPTimerArmed, "A receives now")
    }

    /// On a clean link the receivers' RTCP timer fires when a report is due (once a second),
    /// not every 20 ms as the tick it replaced did: the receiving loop sleeps between packets.
    /// The reports still come.
    @Test func onACleanLinkTheReceiversRTCPWakesForReportsOnly() async throws {
        let (call, _) = try await Self.connectedCall()
        defer { Task { await call.close() } }
        let receiver = try #require(await call.tracks(call.eventsB).first?.0)
        #expect(await call.advance(until: { call.frames(receiver) >= 30 }, within: .seconds(3)), "the camera plays")
        let reports = { call.a.getStats().first(type: "remote-inbound-rtp", kind: "video")?.number("reportsReceived") ?? 0 }
        let (polls, reportsBefore, frames) = (call.b.rtcpPolls.load(ordering: .relaxed), reports(), call.frames(receiver))
        await call.advance(.seconds(4))
        let fired = call.b.rtcpPolls.load(ordering: .relaxed) - polls
        #expect(fired <= 12, "the RTCP timer fired \(fired) times in 4 s (a 20 ms tick: 200)")
        #expect(reports() >= reportsBefore + 3, "receiver reports every second: \(reports() - reportsBefore) in 4 s")
        #expect(call.frames(receiver) >= frames + 100, "frames kept coming")
    }

    @Test func anICERestartKeepsTheCall() async throws {
        let (call, _) = try await Self.connectedCall()
        defer { Task { await call.close() } }
        let receiver = try #require(await call.tracks(call.eventsB).first?.0)
        let oldA = try Self.ufrag(call.a.localDescription)
        let oldB = try Self.ufrag(call.b.localDescription)
        let (offer, answer) = try await call.exchange(from: call.a, to: call.b, RTCOfferOptions(iceRestart: true))
        #expect(offer.media[0].iceUfrag != oldA, "new credentials in the offer")
        #expect(answer.media[0].iceUfrag != oldB, "and in the answer (RFC 8445 §9)")
        let before = call.frames(receiver)
        #expect(call.connected(), "media goes on over the old pair while the new checks run")
        await call.advance(.seconds(2))
        #expect(call.frames(receiver) >= before + 50, "frames kept coming: \(call.frames(receiver) - before) in 2 s")
        #expect(call.connected())
        for (pc, description) in [(call.a, offer), (call.b, answer)] {
            let transport = pc.getStats().first(type: "transport")
            #expect(transport?.string("iceLocalUsernameFragment") == description.media[0].iceUfrag, "the agent runs on the new credentials")
            #expect(transport?.string("iceState") == "connected", "the new checks succeeded (without them the agent stays checking)")
        }
        // A later plain offer keeps the new credentials.
        let (plain, _) = try await call.exchange(from: call.a, to: call.b)
        #expect(plain.media[0].iceUfrag == offer.media[0].iceUfrag)
    }

    @Test func replaceTrackSwitchesTheCameraWithoutRenegotiation() async throws {
        let (call, sender) = try await Self.connectedCall()
        defer { Task { await call.close() } }
        let receiver = try #require(await call.tracks(call.eventsB).first?.0)
        #expect(await call.advance(until: { (call.lastFrameNumber(receiver) ?? 0) >= 60 }, within: .seconds(4)), "the first camera plays")
        let ssrc = try #require(call.b.getStats().first(type: "inbound-rtp", kind: "video")?.number("ssrc"))
        let needed = await call.count(call.eventsA, where: Self.isNegotiationNeeded)
        // The second camera starts counting at 0, at another size (scaled to what is sent).
        let stream = try await call.devicesA.getUserMedia(jsonText: #"{"video": {"deviceId": {"exact": "cam-2"}, "width": 160, "height": 120}}"#)
        let replacement = try #require(stream.getVideoTracks().first)
        let frames = call.frames(receiver)
        try sender.replaceTrack(replacement)
        #expect(sender.track === replacement)
        #expect(await call.advance(until: { (call.lastFrameNumber(receiver) ?? 99) < 30 && call.frames(receiver) > frames + 5 }, within: .seconds(2)),
                "B shows the second camera's count: last frame \(call.lastFrameNumber(receiver) ?? -1)")
        let before = call.frames(receiver)
        await call.advance(.seconds(1))
        #expect(call.frames(receiver) >= before + 15, "and keeps decoding: \(call.frames(receiver) - before) frames in 1 s")
        #expect(call.b.getStats().first(type: "inbound-rtp", kind: "video")?.number("ssrc") == ssrc, "the same stream")
        #expect(await call.count(call.eventsA, where: Self.isNegotiationNeeded) == needed, "no renegotiation")
        #expect(call.a.signalingState == .stable)
        let microphone = try #require(try await call.devicesA.getUserMedia(jsonText: #"{"audio": true}"#).getAudioTracks().first)
        #expect { try sender.replaceTrack(microphone) } throws: { ($0 as? RTCError)?.name == .typeError }
        #expect(sender.track === replacement)
    }

    @Test func glareIsResolvedByThePolitePeer() async throws {
        // Both add a camera at once and offer. B is polite: A's offer rolls B's back; A, the
        // impolite one, ignores B's. After A's exchange B offers again (still needed).
        let (call, _) = try await Self.connectedCall()
        defer { Task { await call.close() } }
        _ = try await call.addCamera(on: call.a, "cam-2")
        try call.b.addTrack(try await call.camera(call.devicesB, "cam-1"))
        let offerA = try await call.a.createOffer()
        let offerB = try await call.b.createOffer()
        try await call.a.setLocalDescription(offerA)
        try await call.b.setLocalDescription(offerB)
        #expect(call.a.signalingState == .haveLocalOffer && call.b.signalingState == .haveLocalOffer)
        // The impolite peer ignores the colliding offer; the polite one takes A's.
        try await call.b.setRemoteDescription(offerA)
        #expect(call.b.signalingState == .haveRemoteOffer)
        let answerB = try await call.b.createAnswer()
        try await call.b.setLocalDescription(answerB)
        try await call.a.setRemoteDescription(answerB)
        #expect(call.a.signalingState == .stable && call.b.signalingState == .stable)
        #expect(await call.count(call.eventsB, where: Self.isNegotiationNeeded) >= 2, "B still has a track to offer")
        let (offer, _) = try await call.exchange(from: call.b, to: call.a)
        #expect(offer.media.count == 2)
        #expect(await call.tracks(call.eventsB).count == 2, "A's second camera reached B")
        let atA = try #require(await call.tracks(call.eventsA).first?.0)
        #expect(await call.advance(until: { call.frames(atA) >= 30 }, within: .seconds(3)), "B's camera plays at A")
        #expect(call.connected())
    }

    @Test func aRolledBackOfferLeavesTheCallAsItWas() async throws {
        let (call, _) = try await Self.connectedCall()
        defer { Task { await call.close() } }
        _ = try await call.addCamera(on: call.a, "cam-2")
        let offer = try await call.a.createOffer(RTCOfferOptions(iceRestart: true))
        try await call.a.setLocalDescription(offer)
        let needed = await call.count(call.eventsA, where: Self.isNegotiationNeeded)
        try await call.a.setLocalDescription(RTCSessionDescription(type: .rollback, sdp: ""))
        #expect(call.a.signalingState == .stable)
        #expect(call.a.getTransceivers().map(\.mid) == ["0", nil], "the new transceiver's mid is given back")
        #expect(await call.count(call.eventsA, where: Self.isNegotiationNeeded) == needed + 1, "negotiation is still needed")
        await #expect { try await call.a.setLocalDescription(RTCSessionDescription(type: .rollback, sdp: "")) } throws: {
            ($0 as? RTCError)?.name == .invalidStateError
        }
        await call.advance(.seconds(1))
        #expect(call.connected(), "the rolled-back ICE restart never reached the agent")
        let (again, _) = try await call.exchange(from: call.a, to: call.b)
        #expect(again.media.map(\.mid) == ["0", "1"])
    }
}

extension RenegotiationTests.Call {
    /// A camera track from `devices` of the side `pc` is, added with addTrack.
    func addCamera(on pc: RTCPeerConnection, _ id: String) async throws -> RTCRtpSender {
        try pc.addTrack(try await camera(pc === a ? devicesA : devicesB, id))
    }
}
