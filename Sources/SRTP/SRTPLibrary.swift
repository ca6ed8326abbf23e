import COpenSSL

/// The OpenSSL ciphers SRTP uses, fetched once per process (`EVP_CIPHER_fetch`) and never
/// freed. Fetched objects are immutable and may be shared by every thread, hence
/// `@unchecked Sendable`. (HMAC-SHA1 needs no fetched object: `HMACContext` uses SHA-1's
/// low-level interface, which is part of libcrypto itself, not of a provider.)
struct SRTPAlgorithms: @unchecked Sendable {
    /// AES-CM (RFC 3711 §4.1.1) and the key derivation's PRF (§4.3.3): CTR mode.
    let aes128CTR: OpaquePointer
    /// The AES-256 PRF of SRTP_AEAD_AES_256_GCM's key derivation (RFC 7714 §11).
    let aes256CTR: OpaquePointer
    let aes128GCM: OpaquePointer
    let aes256GCM: OpaquePointer

    fileprivate static func fetch() -> Result<SRTPAlgorithms, SRTPError> {
        func cipher(_ name: String) -> Result<OpaquePointer, SRTPError> {
            guard let c = EVP_CIPHER_fetch(nil, name, nil) else { return .failure(.cryptoUnavailable(name)) }
            return .success(c)
        }
        return Result { () throws(SRTPError) in
            SRTPAlgorithms(
                aes128CTR: try cipher("AES-128-CTR").get(), aes256CTR: try cipher("AES-256-CTR").get(),
                aes128GCM: try cipher("AES-128-GCM").get(), aes256GCM: try cipher("AES-256-GCM").get())
        }
    }
}

/// SRTP's process-wide setup: the OpenSSL (libcrypto) ciphers, fetched once.
///
/// A Swift global is initialised lazily under `swift_once`, so concurrent first users are safe.
public enum SRTPLibrary {
    private static let algorithmsResult: Result<SRTPAlgorithms, SRTPError> = SRTPAlgorithms.fetch()

    /// Fetches AES-128/256-CTR and AES-128/256-GCM from OpenSSL on first use (loading
    /// its default provider and configuration); throws `.cryptoUnavailable` naming what
    /// OpenSSL lacks. Cheap after the first call; a connection calls it before it connects.
    public static func ensureInitialized() throws(SRTPError) {
        _ = try algorithmsResult.get()
    }

    static func algorithms() throws(SRTPError) -> SRTPAlgorithms {
        try algorithmsResult.get()
    }
}
