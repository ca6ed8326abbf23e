/// The offering side of one offer/answer exchange (RFC 3264): hands one complete
/// (non-trickle) SDP offer to the remote side and returns its answer.
///
/// The SDP is moved as text, byte for byte; nothing here parses it.
public protocol OfferExchange: Sendable {
    /// Sends `offer` and waits for the remote side's answer.
    func exchange(offer: String) async throws -> String
    /// Ends the exchange: WHIP deletes its session, a room sends `bye` and leaves.
    func close() async throws
}

/// The answering side of one offer/answer exchange: waits for one offer, then sends the
/// answer built from it.
public protocol OfferAnswering: Sendable {
    /// Waits for the remote side's offer.
    func receiveOffer() async throws -> String
    /// Sends the answer to the offer `receiveOffer()` returned.
    func sendAnswer(_ sdp: String) async throws
    /// Refuses the offer `receiveOffer()` returned, telling the other side why. Returns true
    /// when another offer may come (`receiveOffer()` again), false when the exchange is over.
    func rejectOffer(reason: String) async throws -> Bool
    /// Ends the exchange and releases what it holds (sockets, servers, rooms).
    func close() async throws
}

extension OfferAnswering {
    /// Channels with a single offer (a room, a file, a paste) cannot take another one.
    public func rejectOffer(reason: String) async throws -> Bool { false }
}
