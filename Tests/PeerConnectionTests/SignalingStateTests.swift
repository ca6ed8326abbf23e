import NetworkPrimitives
import PeerConnection
import Synchronization
import Testing

/// WebRTC 1.0 §4.3.1: `signalingState` follows the offer/answer exchange, each move is an
/// event, and a description out of turn fails with InvalidStateError.
@Suite struct SignalingStateTests {
    static func connection() throws -> RTCPeerConnection {
        var c = RTCConfiguration()
        c.restrictToAddresses = [IPAddress("127.0.0.1")!]
        c.loopbackCandidates = .always
        return try RTCPeerConnection(configuration: c)
    }

    /// The signaling states announced on `events` so far (the stream is read to its end
    /// after `close`).
    static func announced(_ pc: RTCPeerConnection) async -> [RTCSignalingState] {
        var states: [RTCSignalingState] = []
        for await event in pc.events { if case .signalingStateChange(let s) = event { states.append(s) } }
        return states
    }

    @Test func anOfferAndItsAnswerGoThroughTheStates() async throws {
        let caller = try Self.connection(), callee = try Self.connection()
        try caller.addTransceiver(.audio, direction: .recvonly)
        #expect(caller.signalingState == .stable && callee.signalingState == .stable)

        let offer = try await caller.createOffer()
        #expect(caller.signalingState == .stable)  // creating an offer changes nothing
        try await caller.setLocalDescription(offer)
        #expect(caller.signalingState == .haveLocalOffer)
        try await callee.setRemoteDescription(offer)
        #expect(callee.signalingState == .haveRemoteOffer)
        let answer = try await callee.createAnswer()
        try await callee.setLocalDescription(answer)
        #expect(callee.signalingState == .stable)
        try await caller.setRemoteDescription(answer)
        #expect(caller.signalingState == .stable)

        await caller.close()
        await callee.close()
        #expect(caller.signalingState == .closed && callee.signalingState == .closed)
        #expect(await Self.announced(caller) == [.haveLocalOffer, .stable])
        #expect(await Self.announced(callee) == [.haveRemoteOffer, .stable])
    }

    @Test func descriptionsOutOfTurnAreRefusedAndChangeNothing() async throws {
        let caller = try Self.connection(), callee = try Self.connection()
        try caller.addTransceiver(.audio, direction: .recvonly)
        let offer = try await caller.createOffer()
        try await caller.setLocalDescription(offer)

        // An answer with no offer of ours outstanding, and our own offer applied as theirs.
        try await callee.setRemoteDescription(offer)
        let answer = try await callee.createAnswer()
        let early = try Self.connection()
        await #expect { try await early.setRemoteDescription(answer) } throws: { ($0 as? RTCError)?.name == .invalidStateError }
        #expect(early.signalingState == .stable)
        // (A remote offer over our own is not out of turn: it rolls ours back, WebRTC 1.0
        // §4.4.1.6; RenegotiationTests has it.) An answer while we hold a remote offer is.
        await #expect { try await callee.setRemoteDescription(answer) } throws: { ($0 as? RTCError)?.name == .invalidStateError }
        #expect(caller.signalingState == .haveLocalOffer)
        // The callee has a remote offer: a local offer now is out of turn.
        await #expect { try await callee.setLocalDescription(offer) } throws: { ($0 as? RTCError)?.name == .invalidStateError }
        #expect(callee.signalingState == .haveRemoteOffer)

        for pc in [caller, callee, early] { await pc.close() }
        await #expect { try await caller.setLocalDescription(offer) } throws: { ($0 as? RTCError)?.name == .invalidStateError }
    }
}
