import Foundation
import Logging
import PeerConnection
import Signaling
import Synchronization

/// Renegotiation over a tincan-signal room once the call is up: the "perfect negotiation"
/// pattern of WebRTC 1.0 §10.7. Either side offers when its connection says
/// `negotiationNeeded` (a track added or stopped) or for an ICE restart; when both offer at
/// once (glare), the polite side takes the other's offer (its own is rolled back, which
/// `setRemoteDescription` does by itself) and the impolite side ignores the other's.
///
/// Who is polite needs no message: the side that answered the first offer is (the browser
/// page does the same).
final class RoomNegotiation: Sendable {
    let pc: RTCPeerConnection
    let room: RoomClient
    let polite: Bool

    /// What the negotiation did, for --stats-json and the tests.
    struct Counts: Sendable, Equatable {
        var offersSent = 0
        var answersSent = 0
        var offersReceived = 0
        var answersReceived = 0
        /// Colliding offers the impolite side ignored.
        var offersIgnored = 0
        var iceRestarts = 0
        var failures = 0
    }

    private struct State {
        var makingOffer = false
        var counts = Counts()
        var tasks: [Task<Void, Never>] = []
    }
    private let state = Mutex(State())
    /// Offers and answers run one at a time: a negotiationNeeded and an arriving offer must
    /// not interleave their awaits (the pattern's `makingOffer` check assumes one thread).
    private let turn = AsyncTurn()

    init(pc: RTCPeerConnection, room: RoomClient, polite: Bool) {
        self.pc = pc
        self.room = room
        self.polite = polite
    }

    var counts: Counts { state.withLock { $0.counts } }

    /// Starts answering the room's later descriptions and offering on `negotiationNeeded`.
    func start(events: PeerConnectionEventHub) {
        let remote = room.renegotiations()
        let local = events.subscribe(withHistory: false)
        let offering = Task { [self] in
            for await event in local {
                if case .negotiationNeeded = event { await offer(iceRestart: false) }
            }
        }
        let answering = Task { [self] in
            for await description in remote { await take(description) }
        }
        state.withLock { $0.tasks = [offering, answering] }
    }

    func stop() {
        for t in state.withLock({ $0.tasks }) { t.cancel() }
    }

    /// A new offer to the other side; `iceRestart` gives it new ICE credentials (RFC 8445 §9).
    func offer(iceRestart: Bool) async {
        await turn.run { [self] in
            guard pc.signalingState == .stable else { return }
            state.withLock { $0.makingOffer = true }
            defer { state.withLock { $0.makingOffer = false } }
            do {
                let offer = try await pc.createOffer(RTCOfferOptions(iceRestart: iceRestart))
                try await pc.setLocalDescription(offer)
                try room.sendOffer(offer.sdp)
                state.withLock { s in
                    s.counts.offersSent += 1
                    if iceRestart { s.counts.iceRestarts += 1 }
                }
                CLILog.call.info("sent a new offer\(iceRestart ? " (ICE restart)" : "")")
            } catch {
                state.withLock { $0.counts.failures += 1 }
                Output.stderr("tincan: renegotiation: the new offer failed: \(error)")
            }
        }
    }

    /// An offer or answer from the other side, after the first exchange.
    private func take(_ description: RoomClient.RemoteDescription) async {
        await turn.run { [self] in
            let isOffer = description.kind == .offer
            let collision = isOffer && (state.withLock { $0.makingOffer } || pc.signalingState != .stable)
            state.withLock { s in if isOffer { s.counts.offersReceived += 1 } else { s.counts.answersReceived += 1 } }
            if collision && !polite {
                state.withLock { $0.counts.offersIgnored += 1 }
                CLILog.call.info("ignored a colliding offer (we are the impolite side: ours stands)")
                return
            }
            do {
                try await pc.setRemoteDescription(RTCSessionDescription(type: isOffer ? .offer : .answer, sdp: description.sdp))
                guard isOffer else {
                    Output.stderr("tincan: renegotiated (the other side answered our offer)")
                    return
                }
                let answer = try await pc.createAnswer()
                try await pc.setLocalDescription(answer)
                try await room.sendAnswer(answer.sdp)
                state.withLock { $0.counts.answersSent += 1 }
                Output.stderr("tincan: renegotiated (answered the other side's offer)")
            } catch {
                state.withLock { $0.counts.failures += 1 }
                Output.stderr("tincan: renegotiation: the other side's \(description.kind.rawValue) was not taken: \(error)")
            }
        }
    }
}

/// Runs async closures one after another, in the order they asked.
final class AsyncTurn: Sendable {
    private struct State {
        var busy = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func run(_ body: @Sendable () async -> Void) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.busy { s.waiting.append(c); return false }
                s.busy = true
                return true
            }
            if now { c.resume() }
        }
        await body()
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiting.isEmpty { s.busy = false; return nil }
            return s.waiting.removeFirst()
        }
        next?.resume()
    }
}
