/// The local ICE and DTLS parameters written into an offer or answer (RFC 8829 §5.2.1,
/// §5.3.1): credentials, certificate fingerprints, DTLS role and any gathered candidates.
public struct LocalTransport: Sendable, Equatable {
    /// 4 to 256 characters (Chromium refuses others; RFC 8839 §5.4).
    public var iceUfrag: String
    /// 22 to 256 characters.
    public var icePwd: String
    /// e.g. ["trickle"] when candidates will follow the description.
    public var iceOptions: [String]
    public var fingerprints: [SDPFingerprint]
    /// nil: `actpass` in an offer; in an answer the reply to the offered role (RFC 5763 §5).
    public var setup: SetupRole?
    /// Raw candidate values, written in the first bundled section (or every section without
    /// BUNDLE).
    public var candidates: [String]
    /// Writes `a=end-of-candidates` after the candidates (RFC 8840 §8.2).
    public var endOfCandidates: Bool

    public init(iceUfrag: String, icePwd: String, iceOptions: [String] = [], fingerprints: [SDPFingerprint],
                setup: SetupRole? = nil, candidates: [String] = [], endOfCandidates: Bool = false) {
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.iceOptions = iceOptions
        self.fingerprints = fingerprints
        self.setup = setup
        self.candidates = candidates
        self.endOfCandidates = endOfCandidates
    }
}

extension MediaDescription {
    /// Writes `transport` into this section (not its candidates).
    mutating func apply(_ transport: LocalTransport, setup: SetupRole) {
        iceUfrag = transport.iceUfrag
        icePwd = transport.icePwd
        iceOptions = transport.iceOptions
        fingerprints = transport.fingerprints
        self.setup = setup
    }

    mutating func addCandidates(of transport: LocalTransport) {
        candidates = transport.candidates
        endOfCandidates = transport.endOfCandidates
    }
}
