import Foundation
import Hummingbird

/// Which web pages may use a WHIP endpoint from a browser (Fetch's CORS protocol): browsers
/// are WHIP clients too (RFC 9725 §4.2), and a page's `fetch` with `Content-Type:
/// application/sdp` and `Authorization` is preceded by a preflight `OPTIONS`, and can read
/// `Location` (the session to DELETE), `Link` and `ETag` only when they are exposed.
public struct CORSPolicy: Sendable, Equatable {
    public enum Origins: Sendable, Equatable {
        /// Any page (`Access-Control-Allow-Origin: *`). No cookies are involved: a bearer
        /// token, when one is set, still guards the endpoint.
        case any
        /// Only these origins (`https://app.example`), echoed back with `Vary: Origin`.
        case only([String])
        /// No CORS headers: browsers on other origins are refused by the browser itself.
        case none
    }

    public var origins: Origins

    public init(origins: Origins) {
        self.origins = origins
    }

    /// The default of `tincan recv --whip-listen` and `tincan-signal serve`: any origin.
    public static let anyOrigin = CORSPolicy(origins: .any)

    /// Parses the `--cors-origins` value: `*`, `none`, or origins separated by commas.
    public init(parsing text: String) throws(SignalingError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "*" { self.init(origins: .any); return }
        if trimmed.lowercased() == "none" { self.init(origins: .none); return }
        let list = trimmed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !list.isEmpty else { throw .badAddress("--cors-origins: give *, none, or origins like https://app.example") }
        for origin in list {
            // An origin is scheme://host[:port], without a path (Fetch §3.2.5 serializes it so).
            guard let range = origin.range(of: "://"), !origin[range.upperBound...].isEmpty,
                  !origin[range.upperBound...].contains("/") else {
                throw .badAddress("--cors-origins: \"\(origin.prefix(80))\" is not an origin like https://app.example (no path, no trailing slash)")
            }
        }
        self.init(origins: .only(list))
    }

    /// What the endpoint allows in a preflight and exposes on its responses (PATCH: trickle
    /// ICE, RFC 9725 §4.3).
    static let allowedMethods = "POST, PATCH, DELETE, OPTIONS"
    static let allowedHeaders = "Authorization, Content-Type, If-Match"
    static let exposedHeaders = "Location, Link, ETag"

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, or nil when that
    /// origin is not allowed.
    func allowOrigin(for origin: String) -> String? {
        switch origins {
        case .any: return "*"
        case .only(let list): return list.contains(origin) ? origin : nil
        case .none: return nil
        }
    }

    private var varies: Bool { if case .only = origins { true } else { false } }

    /// The answer to `OPTIONS`: a CORS preflight when the request has an `Origin`, else the
    /// methods and media type this WHIP resource takes.
    func preflight(_ request: Request) -> Response {
        var headers: HTTPFields = [.allow: Self.allowedMethods, HTTPFields.Element.Name("Accept-Post")!: "application/sdp",
                                   .acceptPatch: TrickleICEFragment.mediaType]
        if let origin = request.headers[.origin] {
            guard let allowed = allowOrigin(for: origin) else {
                return Response(status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: "this origin is not among the WHIP endpoint's allowed origins\n")))
            }
            headers[.accessControlAllowOrigin] = allowed
            headers[.accessControlAllowMethods] = Self.allowedMethods
            headers[.accessControlAllowHeaders] = Self.allowedHeaders
            headers[.accessControlMaxAge] = "86400"
            if varies { headers[.vary] = "Origin" }
        }
        return Response(status: .noContent, headers: headers)
    }

    /// Adds the CORS headers to an actual (non-preflight) response for an allowed origin.
    func decorate(_ response: inout Response, for request: Request) {
        guard let origin = request.headers[.origin], let allowed = allowOrigin(for: origin) else { return }
        response.headers[.accessControlAllowOrigin] = allowed
        response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        if varies { response.headers[values: .vary].append("Origin") }
    }
}

/// Applies a `CORSPolicy` to the responses under `pathPrefix`. Hummingbird's own
/// `CORSMiddleware` sends `Access-Control-Expose-Headers` only on the preflight, where
/// browsers ignore it, so a page could not read `Location`; hence this one.
public struct WHIPCORSMiddleware<Context: RequestContext>: RouterMiddleware {
    public let policy: CORSPolicy
    public let pathPrefix: String

    public init(policy: CORSPolicy, pathPrefix: String) {
        self.policy = policy
        self.pathPrefix = pathPrefix
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix(pathPrefix) else { return try await next(request, context) }
        if request.method == .options { return policy.preflight(request) }
        var response = try await next(request, context)
        policy.decorate(&response, for: request)
        return response
    }
}

extension RouterMethods {
    /// `OPTIONS` on a WHIP path (answered by `WHIPCORSMiddleware` before it gets here when
    /// the middleware is installed; registered so the path matches).
    @discardableResult
    package func whipOptions(_ path: String, policy: CORSPolicy) -> Self {
        on(RouterPath(stringLiteral: path), method: .options) { request, _ -> Response in policy.preflight(request) }
    }
}

extension HTTPFields.Element.Name {
    /// RFC 5789 §3.1: the patch formats a resource takes (WHIP: trickle-ice-sdpfrag).
    package static var acceptPatch: Self { Self("Accept-Patch")! }
}
