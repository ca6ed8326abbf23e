import Signaling
import Synchronization

/// One member of a room: a WebSocket connection or a WHIP session. `deliver` hands it a
/// message; it must not block (WebSocket peers queue it for their writer task).
final class RoomPeer: Sendable {
    let id: String
    let role: PeerRole
    private let deliverNow: @Sendable (SignalMessage) -> Void
    /// Until its own `joined` has gone out, what others send a WebSocket peer waits here:
    /// once the registry lists it, another peer's join can deliver `peer-joined` at once,
    /// and PROTOCOL.md promises `joined` first. Nil for peers that get no `joined` (WHIP).
    private let gate: Mutex<Gate>?

    private struct Gate {
        var open = false
        /// Held only between the registry's insertion and `welcome` (a few statements).
        var held: [SignalMessage] = []
    }

    /// `awaitsWelcome`: hold deliveries until `welcome(_:)` has sent the first message.
    init(id: String, role: PeerRole, awaitsWelcome: Bool = false, deliver: @escaping @Sendable (SignalMessage) -> Void) {
        self.id = id
        self.role = role
        self.deliverNow = deliver
        gate = awaitsWelcome ? Mutex(Gate()) : nil
    }

    var info: PeerInfo { PeerInfo(id: id, role: role) }

    /// A message for this peer: now, or after its `joined` when that has not gone out yet.
    func deliver(_ message: SignalMessage) {
        let now = gate?.withLock { g -> Bool in
            if g.open { return true }
            g.held.append(message)
            return false
        } ?? true
        if now { deliverNow(message) }
    }

    /// Sends `first` (the `joined` reply), then what waited, in order, then opens the gate.
    func welcome(_ first: SignalMessage) {
        deliverNow(first)
        while let batch = gate?.withLock({ g -> [SignalMessage]? in
            if g.held.isEmpty { g.open = true; return nil }
            defer { g.held.removeAll() }
            return g.held
        }) {
            for message in batch { deliverNow(message) }
        }
    }
}

/// Why a join was refused; `code` and `message` go into the `error` message.
struct JoinRefusal: Error, Sendable {
    var code: String
    var message: String
}

/// The rooms: at most `maxPeersPerRoom` peers each, at most `maxRooms` at once. A room
/// exists while it has a peer. Messages are delivered outside the lock.
final class RoomRegistry: Sendable {
    static let maxPeersPerRoom = 2
    let maxRooms: Int
    private let rooms = Mutex<[String: [RoomPeer]]>([:])

    init(maxRooms: Int) {
        self.maxRooms = maxRooms
    }

    /// Room names appear in URLs (`/?room=R`, `/whip/R`): 1 to 64 unreserved characters.
    static func isValidRoomName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x2E || c == 0x5F || c == 0x7E
        }
    }

    /// Adds `peer` to `room`; returns the peers already there (they receive `peer-joined`).
    func join(room: String, peer: RoomPeer) throws(JoinRefusal) -> [PeerInfo] {
        let result: Result<[RoomPeer], JoinRefusal> = rooms.withLock { rooms in
            let present = rooms[room] ?? []
            if present.isEmpty && rooms.count >= maxRooms {
                return .failure(JoinRefusal(code: "server-full", message: "the server is at its limit of \(maxRooms) rooms; try again later"))
            }
            if present.count >= Self.maxPeersPerRoom {
                return .failure(JoinRefusal(code: "room-full", message: "room \(room) is full: it already has \(Self.maxPeersPerRoom) peers; pick another room"))
            }
            rooms[room] = present + [peer]
            return .success(present)
        }
        let present = try result.get()
        for other in present { other.deliver(.peerJoined(peer.info)) }
        return present.map(\.info)
    }

    /// Removes the peer; the others receive `bye` (when `byeReason` is given) and `peer-left`.
    func leave(room: String, peerID: String, byeReason: String? = nil) {
        let others: [RoomPeer]? = rooms.withLock { rooms in
            guard var present = rooms[room], let index = present.firstIndex(where: { $0.id == peerID }) else { return nil }
            present.remove(at: index)
            rooms[room] = present.isEmpty ? nil : present
            return present
        }
        for other in others ?? [] {
            if let byeReason { other.deliver(.bye(reason: byeReason, from: peerID)) }
            other.deliver(.peerLeft(id: peerID))
        }
    }

    /// Hands `message` (with `from` set) to the other peers of the room; false when there
    /// is none.
    func relay(room: String, from peerID: String, _ message: SignalMessage) -> Bool {
        let others = rooms.withLock { rooms in (rooms[room] ?? []).filter { $0.id != peerID } }
        let relayed = message.relayed(from: peerID)
        for other in others { other.deliver(relayed) }
        return !others.isEmpty
    }

    func peers(in room: String) -> [PeerInfo] {
        rooms.withLock { rooms in (rooms[room] ?? []).map(\.info) }
    }
}

/// A random identifier for peers and WHIP sessions: 64 bits in hex.
func randomID(prefix: String = "") -> String {
    let s = String(UInt64.random(in: .min ... .max), radix: 16)
    return prefix + String(repeating: "0", count: 16 - s.count) + s
}

/// Compares secrets in time independent of where they differ.
func constantTimeEquals(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var diff = UInt8(x.count == y.count ? 0 : 1)
    for i in 0..<max(x.count, y.count) {
        diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
    }
    return diff == 0
}
