import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// A WHIP client (RFC 9725 §4.2): POSTs the SDP offer to the endpoint, takes the answer from
/// the `201 Created` response and remembers the session's `Location` (and `ETag`), which
/// `close()` DELETEs (§4.2.3).
///
/// Trickle ICE (§4.3): as a `CandidateTrickling` it PATCHes the candidates gathered after the
/// offer to the session as `application/trickle-ice-sdpfrag` (RFC 8840), with `If-Match` of
/// the ETag; those gathered while the POST is in flight wait for its answer. A session that
/// answers 405 or 501 does not trickle: the client stops and says so once in its log.
public final class WHIPClient: OfferExchange, CandidateTrickling, Sendable {
    public let endpoint: URL
    public let bearerToken: String?
    public let timeout: Duration
    /// How long `close()` waits for the DELETE: the call is over by then, and a vanished
    /// endpoint must not keep the program (and its camera) waiting.
    public let deleteTimeout: Duration
    /// How long one trickle PATCH may take.
    public let patchTimeout: Duration
    private let session = Mutex<URL?>(nil)
    private let etag = Mutex<String?>(nil)
    private let logger: Logger
    private let queue: WHIPCandidateQueue

    /// The session URL from `Location`, once `exchange` succeeded.
    public var sessionURL: URL? { session.withLock { $0 } }
    /// The session's entity-tag from the POST's `ETag` (RFC 9725 §4.3.1), when it sent one.
    public var entityTag: String? { etag.withLock { $0 } }
    /// What became of the candidates handed to `trickle`.
    public var trickleCounts: TrickleCounts { queue.counts }

    public init(endpoint: URL, bearerToken: String? = nil, timeout: Duration = .seconds(30), deleteTimeout: Duration = .seconds(3),
                patchTimeout: Duration = .seconds(10),
                logger: Logger = Logger(label: "tincan.whip", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.endpoint = endpoint
        self.bearerToken = bearerToken
        self.timeout = timeout
        self.deleteTimeout = deleteTimeout
        self.patchTimeout = patchTimeout
        self.logger = logger
        // Values only: the queue must not hold the client (the client holds the queue).
        queue = WHIPCandidateQueue(logger: logger) { [bearerToken, patchTimeout] target, candidates, end in
            try await Self.patch(sessionURL: target.sessionURL,
                                 fragment: TrickleICEFragment(identity: target.identity, candidates: candidates, endOfCandidates: end),
                                 ifMatch: target.entityTag, bearerToken: bearerToken, timeout: patchTimeout)
        }
    }

    public convenience init(endpoint: String, bearerToken: String? = nil, timeout: Duration = .seconds(30)) throws {
        guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw SignalingError.badAddress("\"\(endpoint)\": a WHIP endpoint is an http:// or https:// URL")
        }
        self.init(endpoint: url, bearerToken: bearerToken, timeout: timeout)
    }

    public func exchange(offer: String) async throws -> String {
        var request = HTTPClientRequest(url: endpoint.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/sdp")
        request.headers.add(name: "Accept", value: "application/sdp")
        if let bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(bearerToken)") }
        request.body = .bytes(ByteBuffer(string: offer))
        let (status, headers, body) = try await Self.execute(request, timeout: timeout)
        guard status == 201 else { throw SignalingError.http(status: status, body: body) }
        guard let location = headers.first(name: "Location"), let url = URL(string: location, relativeTo: endpoint)?.absoluteURL else {
            throw SignalingError.http(status: status, body: "the 201 response has no Location header (RFC 9725 §4.2 requires one)")
        }
        session.withLock { $0 = url }
        etag.withLock { $0 = headers.first(name: "ETag") }
        if let identity = TrickleICEFragment.DescriptionIdentity(description: offer) {
            queue.start(.init(sessionURL: url, entityTag: headers.first(name: "ETag"), identity: identity))
        } else {
            queue.stop()
        }
        return body
    }

    // MARK: - Trickle ICE (RFC 9725 §4.3)

    /// What a trickle PATCH came to.
    public enum TrickleOutcome: Sendable, Equatable {
        /// `204 No Content` (or another 2xx): the candidates were taken.
        case taken
        /// `405 Method Not Allowed` or `501 Not Implemented`: the session does not trickle.
        case notSupported(status: Int)
    }

    public func trickle(candidate: String) { queue.add(candidate) }
    public func trickleEndOfCandidates() { queue.end() }

    /// Returns once every candidate handed to `trickle` so far has been PATCHed (or dropped).
    public func trickleDrained() async { await queue.drained() }

    /// PATCHes `candidates` (and end-of-candidates) to a session, in a fragment made from the
    /// offer's credentials and first `m=` section.
    public func patch(sessionURL: URL, candidates: [String], endOfCandidates: Bool,
                      offerIdentity: TrickleICEFragment.DescriptionIdentity, ifMatch: String?) async throws -> TrickleOutcome {
        try await patch(sessionURL: sessionURL,
                        fragment: TrickleICEFragment(identity: offerIdentity, candidates: candidates, endOfCandidates: endOfCandidates),
                        ifMatch: ifMatch)
    }

    /// PATCHes one fragment (RFC 9725 §4.3.1) with `If-Match` when a tag is given. Throws
    /// `SignalingError.http` for the other refusals (400, 412 for a stale ETag, 422, ...).
    public func patch(sessionURL url: URL, fragment: TrickleICEFragment, ifMatch: String?) async throws -> TrickleOutcome {
        try await Self.patch(sessionURL: url, fragment: fragment, ifMatch: ifMatch, bearerToken: bearerToken, timeout: patchTimeout)
    }

    private static func patch(sessionURL url: URL, fragment: TrickleICEFragment, ifMatch: String?,
                              bearerToken: String?, timeout: Duration) async throws -> TrickleOutcome {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .PATCH
        request.headers.add(name: "Content-Type", value: TrickleICEFragment.mediaType)
        if let ifMatch { request.headers.add(name: "If-Match", value: ifMatch) }
        if let bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(bearerToken)") }
        request.body = .bytes(ByteBuffer(string: fragment.serialized()))
        let (status, _, body) = try await execute(request, timeout: timeout)
        switch status {
        case 200..<300: return .taken
        case 405, 501: return .notSupported(status: status)
        default: throw SignalingError.http(status: status, body: body)
        }
    }

    /// DELETEs the session (RFC 9725 §4.2.3); nothing to do before a successful exchange.
    public func close() async throws {
        queue.stop()
        guard let url = session.withLock({ s -> URL? in defer { s = nil }; return s }) else { return }
        try await delete(sessionURL: url)
    }

    /// DELETEs a session URL (one this client made, or a `Location` kept from earlier).
    public func delete(sessionURL url: URL) async throws {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .DELETE
        if let bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(bearerToken)") }
        let (status, _, body) = try await Self.execute(request, timeout: deleteTimeout)
        guard (200..<300).contains(status) else { throw SignalingError.http(status: status, body: body) }
    }

    private static func execute(_ request: HTTPClientRequest, timeout: Duration) async throws -> (Int, HTTPHeaders, String) {
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw SignalingError.timeout("no response from \(request.url) within \(timeout)")
        } catch {
            throw SignalingError.connectionClosed("cannot reach \(request.url): \(error)")
        }
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), response.headers, String(buffer: body))
    }
}
