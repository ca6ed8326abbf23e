import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// A WHIP client (RFC 9725 §4.2): POSTs the SDP offer to the endpoint, takes the answer from
/// the `201 Created` response and remembers the session's `Location`, which `close()`
/// DELETEs (§4.2.3). No trickle (§4.3), so the offer should be complete.
public final class WHIPClient: OfferExchange, Sendable {
    public let endpoint: URL
    public let bearerToken: String?
    public let timeout: Duration
    /// How long `close()` waits for the DELETE: the call is over by then, and a vanished
    /// endpoint must not keep the program (and its camera) waiting.
    public let deleteTimeout: Duration
    private let session = Mutex<URL?>(nil)

    /// The session URL from `Location`, once `exchange` succeeded.
    public var sessionURL: URL? { session.withLock { $0 } }

    public init(endpoint: URL, bearerToken: String? = nil, timeout: Duration = .seconds(30), deleteTimeout: Duration = .seconds(3)) {
        self.endpoint = endpoint
        self.bearerToken = bearerToken
        self.timeout = timeout
        self.deleteTimeout = deleteTimeout
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
        let (status, headers, body) = try await execute(request, timeout: timeout)
        guard status == 201 else { throw SignalingError.http(status: status, body: body) }
        guard let location = headers.first(name: "Location"), let url = URL(string: location, relativeTo: endpoint)?.absoluteURL else {
            throw SignalingError.http(status: status, body: "the 201 response has no Location header (RFC 9725 §4.2 requires one)")
        }
        session.withLock { $0 = url }
        return body
    }

    /// DELETEs the session (RFC 9725 §4.2.3); nothing to do before a successful exchange.
    public func close() async throws {
        guard let url = session.withLock({ s -> URL? in defer { s = nil }; return s }) else { return }
        try await delete(sessionURL: url)
    }

    /// DELETEs a session URL (one this client made, or a `Location` kept from earlier).
    public func delete(sessionURL url: URL) async throws {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .DELETE
        if let bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(bearerToken)") }
        let (status, _, body) = try await execute(request, timeout: deleteTimeout)
        guard (200..<300).contains(status) else { throw SignalingError.http(status: status, body: body) }
    }

    private func execute(_ request: HTTPClientRequest, timeout: Duration) async throws -> (Int, HTTPHeaders, String) {
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
