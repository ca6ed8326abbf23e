/// Which side of the DTLS handshake this endpoint plays (RFC 6347).
public enum DTLSRole: Sendable, Equatable {
    /// Sends the ClientHello.
    case client
    /// Waits for the ClientHello.
    case server
}

/// The SDP `a=setup` attribute (RFC 4145 §4, used for DTLS by RFC 5763 §5 / RFC 8842 §5).
///
/// `active` opens the connection, which for DTLS means it is the client; `passive` is the
/// server. An offer says `actpass`; the answer picks `active` or `passive`, and the offerer
/// takes the opposite role.
public enum DTLSSetup: String, Sendable, CaseIterable {
    case actpass, active, passive, holdconn

    /// The role this attribute gives the endpoint that wrote it, or nil when it does not
    /// decide one (`actpass` waits for the answer, `holdconn` holds the connection).
    public var role: DTLSRole? {
        switch self {
        case .active: .client
        case .passive: .server
        case .actpass, .holdconn: nil
        }
    }

    /// Our role given the remote description's `a=setup`: the opposite of theirs.
    /// An offerer with `actpass` that is answered `active` becomes the server (what aiortc,
    /// webrtcbin, Chromium and Janus all answer).
    public static func localRole(remote: DTLSSetup) -> DTLSRole? {
        switch remote {
        case .active: .server
        case .passive: .client
        case .actpass, .holdconn: nil
        }
    }

    /// What an answerer writes to an `actpass` offer: `active` (RFC 8842 §5.3 recommends it).
    public static let preferredAnswer: DTLSSetup = .active

    /// Parses the attribute value (`a=setup:<value>`), case-insensitively.
    public init?(sdpValue: String) {
        self.init(rawValue: sdpValue.trimmingWhitespace().lowercased())
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
