import NetworkPrimitives
import PeerConnection
import Testing

/// WebRTC 1.0 §5.1 `getTransceivers()`: one per m-section, in the SDP's order.
@Suite struct GetTransceiversTests {
    static func connection() throws -> RTCPeerConnection {
        var c = RTCConfiguration()
        c.restrictToAddresses = [IPAddress("127.0.0.1")!]
        return try RTCPeerConnection(configuration: c)
    }

    @Test func aRemoteOfferMakesOneTransceiverPerSection() async throws {
        let pc = try Self.connection()
        let offer = try AnswerToPeersTests.fixture("chromium-offer.sdp")
        try await pc.setRemoteDescription(RTCSessionDescription(type: .offer, sdp: offer))
        let transceivers = pc.getTransceivers()
        #expect(transceivers.map(\.kind) == [.audio, .video])
        #expect(transceivers.map(\.mid) == ["0", "1"])
        #expect(transceivers.allSatisfy { $0.direction == .recvonly && $0.sender == nil && $0.currentDirection == nil })
        await pc.close()
    }

    @Test func anOfferGivesOursTheirMids() async throws {
        let pc = try Self.connection()
        try pc.addTransceiver(.video, direction: .recvonly)
        #expect(pc.getTransceivers().map(\.mid) == [nil])
        _ = try await pc.createOffer()
        let transceivers = pc.getTransceivers()
        #expect(transceivers.map(\.mid) == ["0"])
        #expect(transceivers.map(\.kind) == [.video])
        #expect(transceivers.first?.receiver == nil)
        await pc.close()
    }
}
