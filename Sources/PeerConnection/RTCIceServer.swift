import ICE

/// WebRTC 1.0 §4.2.5 RTCIceTransportPolicy.
public typealias RTCIceTransportPolicy = ICETransportPolicy

/// WebRTC 1.0 §4.2.4 `RTCIceServer`: STUN or TURN URLs and, for TURN, the long-term
/// credentials (RFC 8489 §9.2).
public struct RTCIceServer: Sendable, Equatable {
    public var urls: [String]
    public var username: String?
    public var credential: String?

    public init(urls: [String], username: String? = nil, credential: String? = nil) {
        self.urls = urls
        self.username = username
        self.credential = credential
    }

    public init(urls: String, username: String? = nil, credential: String? = nil) {
        self.init(urls: [urls], username: username, credential: credential)
    }

    /// WebRTC 1.0 §4.4.1.1 (validating `iceServers`): each URL parsed (SyntaxError), its scheme
    /// supported (NotSupportedError), and a TURN URL given a username and credential
    /// (InvalidAccessError).
    public func parsedURLs() throws(RTCError) -> [ICEServerURL] {
        guard !urls.isEmpty else { throw RTCError(.syntaxError, "an RTCIceServer without urls") }
        var parsed: [ICEServerURL] = []
        for url in urls {
            let u: ICEServerURL
            do { u = try ICEServerURL(url) } catch {
                if case .unsupportedScheme = error { throw RTCError(.notSupportedError, error.description) }
                throw RTCError(.syntaxError, error.description)
            }
            if u.scheme.isTURN, username == nil || credential == nil {
                throw RTCError(.invalidAccessError, "\(url): a TURN server needs a username and a credential")
            }
            parsed.append(u)
        }
        return parsed
    }
}
