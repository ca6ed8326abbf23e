import CallSimulation
import ICE
import MediaCapture
import NIOCore
import NIOEmbedded
import NetworkPrimitives
import PeerConnection
import SDP
import Synchronization
import Testing
import VirtualNetwork

/// Trickle ICE gathering (RFC 8838, WebRTC 1.0 §4.3.2): with `trickleGathering` a description
/// goes out with the host candidates while a STUN server is still to answer; the
/// server-reflexive candidate follows as an event and in `localDescription`, then the end of
/// candidates. Without it the description waits for the answer. On the simulated network,
/// with a STUN server that maps every request to a "public" 198.51.100.7, behind a 150 ms
/// link (about 100 ms to its answer, as the link model queues it).
@Suite struct TrickleGatheringTests {
    static let ipA = IPAddress("10.0.0.1")!
    static let ipB = IPAddress("10.0.0.2")!
    static let stunIP = IPAddress("10.0.0.9")!
    static let publicIP = IPAddress("198.51.100.7")!

    final class Events: Sendable {
        let all = Mutex<[RTCPeerConnectionEvent]>([])
        var candidates: [String?] {
            all.withLock { events in
                var lines: [String?] = []
                for case .iceCandidate(let line) in events { lines.append(line) }
                return lines
            }
        }
        var gatheringStates: [RTCIceGatheringState] {
            all.withLock { $0.compactMap { if case .iceGatheringStateChange(let g) = $0 { g } else { nil } } }
        }
    }

    final class Made: Sendable {
        let offer = Mutex<RTCSessionDescription?>(nil)
    }

    /// A STUN server on the simulated network (RFC 8489 Binding), 150 ms from A.
    static func stunServer(on network: SimulatedNetwork, loop: NIOAsyncTestingEventLoop) async throws -> TransportAddress {
        network.setLink(from: ipA, to: stunIP, conditions: try LinkSpec(parsing: "10mbit,150ms").conditions)
        let socket = Mutex<(any ICEDatagramSocket)?>(nil)
        let bound = try await network.host(stunIP).bind(ip: stunIP, eventLoop: loop) { payload, source, _ in
            guard let request = try? STUNMessage(parsing: payload), request.type == .bindingRequest else { return }
            let mapped = TransportAddress(ip: publicIP, port: source.port)
            let answer = STUNMessage(type: .bindingSuccess, transactionID: request.transactionID,
                                     attributes: [.xorMappedAddress(mapped)]).encoded(fingerprint: true)
            socket.withLock { $0 }?.send(answer, to: source)
        }
        socket.withLock { $0 = bound }
        return bound.localAddress
    }

    static func connection(_ ip: IPAddress, on network: SimulatedNetwork, loop: NIOAsyncTestingEventLoop, stun: TransportAddress?,
                           trickle: Bool) throws -> RTCPeerConnection {
        var c = RTCConfiguration()
        if let stun { c.stunServers = [stun] }
        var settings = RTCSettingEngine(eventLoop: loop, network: network.host(ip), encodesOnEventLoop: true, simulatedTime: true)
        settings.trickleGathering = trickle
        return try RTCPeerConnection(configuration: c, settings: settings)
    }

    static func record(_ pc: RTCPeerConnection, into events: Events, forwardingTo peer: RTCPeerConnection? = nil) {
        Task {
            for await event in pc.events {
                events.all.withLock { $0.append(event) }
                // What a room does with them (RFC 8838 §4): each candidate to the peer.
                if let peer, case .iceCandidate(let line) = event {
                    do { try await peer.addIceCandidate(line) } catch { Issue.record("the peer refused a trickled candidate: \(error)") }
                }
            }
        }
    }

    static func settle() async { for _ in 0..<50 { await Task.yield() } }

    /// Until the events task (on the cooperative pool, another thread) has delivered what
    /// `done` looks for: yielding alone does not run that thread. A bound (2 s), not a timer:
    /// nothing here depends on how long it takes.
    static func settle(until done: () -> Bool) async {
        for _ in 0..<2_000 where !done() {
            await Task.yield()
            try? await Task.sleep(nanoseconds: 1_000_000)
        }
    }

    @Test func aTrickledOfferGoesOutBeforeTheSTUNAnswerAndTheRestFollows() async throws {
        let loop = NIOAsyncTestingEventLoop()
        await loop.advanceTime(by: .seconds(1))
        let network = SimulatedNetwork(eventLoop: loop, seed: 3)
        let stun = try await Self.stunServer(on: network, loop: loop)
        let a = try Self.connection(Self.ipA, on: network, loop: loop, stun: stun, trickle: true)
        let b = try Self.connection(Self.ipB, on: network, loop: loop, stun: nil, trickle: true)
        let eventsA = Events(), eventsB = Events()
        try a.addTransceiver(.audio, direction: .recvonly)

        let start = loop.now
        let offer = try await a.createOffer()
        #expect(loop.now == start, "no simulated time passed: the offer did not wait for the STUN server")
        #expect(a.iceGatheringState == .gathering)
        let offered = try SessionDescription(parsing: offer.sdp).media[0]
        #expect(offered.candidates.count == 1 && offered.candidates[0].contains("typ host"), "the host candidate: \(offered.candidates)")
        #expect(!offered.endOfCandidates, "more candidates are coming")
        try await a.setLocalDescription(offer)
        try await b.setRemoteDescription(offer)
        try await b.setLocalDescription(try await b.createAnswer())
        // Candidates from now on go to the peer as they come (the host one again: ignored).
        Self.record(a, into: eventsA, forwardingTo: b)
        Self.record(b, into: eventsB, forwardingTo: a)
        try await a.setRemoteDescription(try #require(b.localDescription))

        var connectedAt: TimeAmount?
        while loop.now - start < .seconds(3), connectedAt == nil || a.iceGatheringState != .complete {
            await loop.advanceTime(by: .milliseconds(5))
            await Self.settle()
            if connectedAt == nil, a.connectionState == .connected, b.connectionState == .connected { connectedAt = loop.now - start }
        }
        let connected = try #require(connectedAt, "the call connects over the host candidates")
        #expect(connected < .milliseconds(300), "connected after \(connected.nanoseconds / 1_000_000) ms, before the STUN answer's round trip")
        #expect(a.iceGatheringState == .complete)
        await Self.settle { eventsA.candidates.last == .some(nil) && eventsA.gatheringStates.last == .complete }
        let trickled = eventsA.candidates
        #expect(trickled.contains { $0?.contains("198.51.100.7") == true && $0?.contains("typ srflx") == true },
                "the server-reflexive candidate is an event: \(trickled)")
        #expect(trickled.last == .some(nil), "then the end of candidates")
        #expect(eventsA.gatheringStates == [.gathering, .complete])
        let local = try SessionDescription(parsing: try #require(a.localDescription).sdp).media[0]
        #expect(local.candidates.contains { $0.contains("198.51.100.7") }, "localDescription carries it: \(local.candidates)")
        #expect(local.endOfCandidates)
        try await a.waitForGatheringComplete(timeout: .seconds(1))
        await a.close()
        await b.close()
        await loop.shutdownGracefully()
    }

    @Test func withoutTrickleTheOfferWaitsForTheSTUNAnswer() async throws {
        let loop = NIOAsyncTestingEventLoop()
        await loop.advanceTime(by: .seconds(1))
        let network = SimulatedNetwork(eventLoop: loop, seed: 3)
        let stun = try await Self.stunServer(on: network, loop: loop)
        let a = try Self.connection(Self.ipA, on: network, loop: loop, stun: stun, trickle: false)
        try a.addTransceiver(.audio, direction: .recvonly)
        let start = loop.now
        // The loop's clock moves only when told: move it until the offer is made.
        let made = Made()
        Task {
            let offer = try? await a.createOffer()
            made.offer.withLock { $0 = offer }
        }
        var offer: RTCSessionDescription?
        while offer == nil, loop.now - start < .seconds(3) {
            await loop.advanceTime(by: .milliseconds(5))
            await Self.settle()
            offer = made.offer.withLock { $0 }
        }
        let description = try #require(offer)
        #expect(loop.now - start >= .milliseconds(50), "the offer waited for the STUN answer: \((loop.now - start).nanoseconds / 1_000_000) ms")
        let section = try SessionDescription(parsing: description.sdp).media[0]
        #expect(section.candidates.contains { $0.contains("typ srflx") } && section.endOfCandidates, "a whole description: \(section.candidates)")
        #expect(a.iceGatheringState == .complete)
        await a.close()
        await loop.shutdownGracefully()
    }

    @Test func waitingForGatheringEndsWhenTheConnectionCloses() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let network = SimulatedNetwork(eventLoop: loop, seed: 3)
        // A STUN server that never answers: gathering goes on until its transaction times out.
        let a = try Self.connection(Self.ipA, on: network, loop: loop, stun: TransportAddress(ip: Self.stunIP, port: 3478), trickle: true)
        try a.addTransceiver(.audio, direction: .recvonly)
        _ = try await a.createOffer()
        #expect(a.iceGatheringState == .gathering)
        let waiting = Task { try await a.waitForGatheringComplete(timeout: .seconds(30)) }
        await Self.settle()
        await a.close()
        await #expect { try await waiting.value } throws: { ($0 as? RTCError)?.name == .invalidStateError }
        await loop.shutdownGracefully()
    }
}
