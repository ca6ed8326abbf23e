/// The SRTP master keys and salts a DTLS-SRTP handshake exports (RFC 5764 §4.2).
///
/// The exporter output ("EXTRACTOR-dtls_srtp") is laid out as
/// `client_write_key | server_write_key | client_write_salt | server_write_salt`.
/// The DTLS client protects what it sends with the client key and salt, the server with
/// the server's; each side unprotects with the other's.
public struct SRTPKeyingMaterial: Sendable, Equatable {
    public let profile: SRTPProtectionProfile
    public let clientMasterKey: [UInt8]
    public let serverMasterKey: [UInt8]
    public let clientMasterSalt: [UInt8]
    public let serverMasterSalt: [UInt8]

    /// Bytes to ask the exporter for: 2 × (key + salt).
    public static func exportLength(for profile: SRTPProtectionProfile) -> Int {
        2 * (profile.masterKeyLength + profile.masterSaltLength)
    }

    /// The RFC 5764 §4.2 exporter label.
    public static let exporterLabel = "EXTRACTOR-dtls_srtp"

    /// Splits exporter output; throws if its length does not match the profile.
    public init(profile: SRTPProtectionProfile, exported: [UInt8]) throws(SRTPError) {
        let k = profile.masterKeyLength, s = profile.masterSaltLength
        guard exported.count == 2 * (k + s) else {
            throw .badKeyLength(expected: 2 * (k + s), got: exported.count)
        }
        self.profile = profile
        clientMasterKey = Array(exported[0..<k])
        serverMasterKey = Array(exported[k..<2 * k])
        clientMasterSalt = Array(exported[2 * k..<2 * k + s])
        serverMasterSalt = Array(exported[2 * k + s..<2 * k + 2 * s])
    }

    /// The session that protects what this endpoint sends.
    public func makeOutboundSession(isDTLSClient: Bool) throws(SRTPError) -> SRTPSession {
        try SRTPSession(
            profile: profile,
            masterKey: isDTLSClient ? clientMasterKey : serverMasterKey,
            masterSalt: isDTLSClient ? clientMasterSalt : serverMasterSalt,
            direction: .outbound)
    }

    /// The session that unprotects what the peer sends.
    public func makeInboundSession(isDTLSClient: Bool) throws(SRTPError) -> SRTPSession {
        try SRTPSession(
            profile: profile,
            masterKey: isDTLSClient ? serverMasterKey : clientMasterKey,
            masterSalt: isDTLSClient ? serverMasterSalt : clientMasterSalt,
            direction: .inbound)
    }

    /// Both sessions of an endpoint, with the directions RFC 5764 §4.2 gives its DTLS role:
    /// where DTLS (the keys) and SRTP meet, the transport calls this once connected.
    public func makeSessions(isDTLSClient: Bool) throws(SRTPError) -> (outbound: SRTPSession, inbound: SRTPSession) {
        (try makeOutboundSession(isDTLSClient: isDTLSClient), try makeInboundSession(isDTLSClient: isDTLSClient))
    }
}
