import Signaling
@testable import SignalingServer
import Synchronization
import Testing

/// PROTOCOL.md: a peer's first message is its `joined`. Two joins race on the server: once
/// the registry lists the first peer, the second's join delivers `peer-joined` to it, possibly
/// before the first's own `joined` went out (seen as a flake of 1 room in 250 in
/// `ServerLimitsTests.fiveHundredConnections`). The registry's ordering, without sockets.
@Suite struct JoinOrderTests {
    final class Inbox: Sendable {
        let messages = Mutex<[SignalMessage]>([])
        func put(_ m: SignalMessage) { messages.withLock { $0.append(m) } }
        var types: [String] { messages.withLock { $0.map(\.type) } }
    }

    @Test("a peer-joined that comes between the registry's insertion and the joined reply is delivered after joined")
    func joinedComesFirst() throws {
        let registry = RoomRegistry(maxRooms: 4)
        let inboxA = Inbox(), inboxB = Inbox()
        let a = RoomPeer(id: "pa", role: .offerer, awaitsWelcome: true) { inboxA.put($0) }
        let b = RoomPeer(id: "pb", role: .answerer, awaitsWelcome: true) { inboxB.put($0) }
        let presentForA = try registry.join(room: "r", peer: a)
        // B joins before A's connection has sent A its `joined`: B's peer-joined reaches A now.
        let presentForB = try registry.join(room: "r", peer: b)
        b.welcome(.joined(room: "r", id: "pb", peers: presentForB))
        a.welcome(.joined(room: "r", id: "pa", peers: presentForA))
        #expect(inboxA.types == ["joined", "peer-joined"])
        #expect(inboxB.types == ["joined"])
        // Once welcomed, deliveries go straight through.
        a.deliver(.peerLeft(id: "pb"))
        #expect(inboxA.types == ["joined", "peer-joined", "peer-left"])
    }
}
