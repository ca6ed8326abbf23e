import COpenSSL

/// The OpenSSL algorithms SRTP uses, fetched once per process (`EVP_CIPHER_fetch`,
/// `EVP_MAC_fetch`) and never freed. Fetched objects are immutable and may be shared by
/// every thread, hence `@unchecked Sendable`.
struct SRTPAlgorithms: @unchecked Sendable {
    /// AES-CM (RFC 3711 §4.1.1) and the key derivation's PRF (§4.3.3): CTR mode.
    let aes128CTR: OpaquePointer
    /// The AES-256 PRF of SRTP_AEAD_AES_256_GCM's key derivation (RFC 7714 §11).
    let aes256CTR: OpaquePointer
    let aes128GCM: OpaquePointer
    let aes256GCM: OpaquePointer
    /// HMAC (with SHA-1, RFC 3711 §4.2.1).
    let hmac: OpaquePointer

    fileprivate static func fetch() -> Result<SRTPAlgorithms, SRTPError> {
        func cipher(_ name: String) -> Result<OpaquePointer, SRTPError> {
            guard let c = EVP_CIPHER_fetch(nil, name, nil) else { return .failure(.cryptoUnavailable(name)) }
            return .success(c)
        }
        // SHA-1 is fetched once here only to say clearly if it is missing; HMAC fetches it again
        // for each session's context.
        guard let sha1 = EVP_MD_fetch(nil, "SHA1", nil) else { return .failure(.cryptoUnavailable("SHA1")) }
        EVP_MD_free(sha1)
        guard let hmac = EVP_MAC_fetch(nil, "HMAC", nil) else { return .failure(.cryptoUnavailable("HMAC")) }
        return Result { () throws(SRTPError) in
            SRTPAlgorithms(
                aes128CTR: try cipher("AES-128-CTR").get(), aes256CTR: try cipher("AES-256-CTR").get(),
                aes128GCM: try cipher("AES-128-GCM").get(), aes256GCM: try cipher("AES-256-GCM").get(),
                hmac: hmac)
        }
    }
}

/// SRTP's process-wide setup: the OpenSSL (libcrypto) ciphers and MAC, fetched once.
///
/// A Swift global is initialised lazily under `swift_once`, so concurrent first users are safe.
public enum SRTPLibrary {
    private static let algorithmsResult: Result<SRTPAlgorithms, SRTPError> = SRTPAlgorithms.fetch()

    /// Fetches AES-128/256-CTR, AES-128/256-GCM and HMAC from OpenSSL on first use (loading
    /// its default provider and configuration); throws `.cryptoUnavailable` naming what
    /// OpenSSL lacks. Cheap after the first call; a connection calls it before it connects.
    public static func ensureInitialized() throws(SRTPError) {
        _ = try algorithmsResult.get()
    }

    static func algorithms() throws(SRTPError) -> SRTPAlgorithms {
        try algorithmsResult.get()
    }
}
