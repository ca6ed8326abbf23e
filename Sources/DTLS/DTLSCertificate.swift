import COpenSSL

/// The endpoint's self-signed certificate: ECDSA over P-256, made at start-up.
///
/// WebRTC identifies DTLS peers by the fingerprint in SDP, not by a CA, so a self-signed
/// certificate is the norm (RFC 8827 §6.5). ECDSA P-256 is what every peer accepts; aiortc
/// accepts nothing else. Kept as DER bytes so the value is `Sendable`; each connection
/// parses its own OpenSSL copy.
public struct DTLSCertificate: Sendable {
    public let certificateDER: [UInt8]
    let privateKeyDER: [UInt8]
    /// `sha-256 AB:CD:...` for `a=fingerprint`.
    public let fingerprint: DTLSFingerprint

    /// Generates a fresh key pair and a certificate valid from a day ago for `validityDays`.
    public static func generate(commonName: String = "tincan", validityDays: Int = 30) throws(DTLSError) -> DTLSCertificate {
        guard let keyContext = OpenSSLHandle(EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nil), free: { EVP_PKEY_CTX_free($0) }),
              EVP_PKEY_keygen_init(keyContext.pointer) == 1,
              EVP_PKEY_CTX_set_ec_paramgen_curve_nid(keyContext.pointer, NID_X9_62_prime256v1) == 1
        else { throw .setupFailed(OpenSSLErrors.drain("P-256 key context")) }
        var rawKey: OpaquePointer?
        guard EVP_PKEY_keygen(keyContext.pointer, &rawKey) == 1,
              let key = OpenSSLHandle(rawKey, free: { EVP_PKEY_free($0) })
        else { throw .setupFailed(OpenSSLErrors.drain("P-256 key generation")) }

        guard let certificate = OpenSSLHandle(X509_new(), free: { X509_free($0) }) else {
            throw .setupFailed("X509_new")
        }
        let x509 = certificate.pointer
        var serial: UInt32 = 0
        _ = withUnsafeMutableBytes(of: &serial) { RAND_bytes($0.baseAddress, 4) }
        let ok = X509_set_version(x509, 2) == 1
            && ASN1_INTEGER_set(X509_get_serialNumber(x509), Int(serial & 0x7fff_ffff) | 1) == 1
            && X509_gmtime_adj(X509_getm_notBefore(x509), -86_400) != nil
            && X509_gmtime_adj(X509_getm_notAfter(x509), validityDays * 86_400) != nil
            && X509_set_pubkey(x509, key.pointer) == 1
            && X509_NAME_add_entry_by_txt(
                X509_get_subject_name(x509), "CN", MBSTRING_FLAG | 1, commonName, -1, -1, 0) == 1
            && X509_set_issuer_name(x509, X509_get_subject_name(x509)) == 1
            && X509_sign(x509, key.pointer, EVP_sha256()) > 0
        guard ok else { throw .setupFailed(OpenSSLErrors.drain("self-signed certificate")) }

        let certificateDER = try encode { i2d_X509(x509, $0) }
        let keyDER = try encode { i2d_PrivateKey(key.pointer, $0) }
        return DTLSCertificate(
            certificateDER: certificateDER, privateKeyDER: keyDER,
            fingerprint: try DTLSFingerprint(certificateDER: certificateDER))
    }

    private static func encode(
        _ i2d: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32
    ) throws(DTLSError) -> [UInt8] {
        let length = i2d(nil)
        guard length > 0 else { throw .setupFailed(OpenSSLErrors.drain("DER encoding")) }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return i2d(&cursor)
        }
        guard written == length else { throw .setupFailed("DER encoding length") }
        return der
    }

    /// OpenSSL objects for one connection.
    func parse() throws(DTLSError) -> (certificate: OpenSSLHandle, key: OpenSSLHandle) {
        let certificate = certificateDER.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return OpenSSLHandle(d2i_X509(nil, &cursor, buffer.count), free: { X509_free($0) })
        }
        let key = privateKeyDER.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return OpenSSLHandle(d2i_AutoPrivateKey(nil, &cursor, buffer.count), free: { EVP_PKEY_free($0) })
        }
        guard let certificate, let key else { throw .setupFailed(OpenSSLErrors.drain("certificate parse")) }
        return (certificate, key)
    }
}

extension DTLSCertificate {
    /// A certificate and private key from elsewhere (DER: X.509, and PKCS#8 or the key type's
    /// own encoding), e.g. an RSA one like GStreamer webrtcbin's to test against. Throws
    /// unless both parse and the key is the certificate's.
    public init(certificateDER: [UInt8], privateKeyDER: [UInt8]) throws(DTLSError) {
        let fingerprint = try DTLSFingerprint(certificateDER: certificateDER)
        self.init(certificateDER: certificateDER, privateKeyDER: privateKeyDER, fingerprint: fingerprint)
        let (certificate, key) = try parse()
        guard X509_check_private_key(certificate.pointer, key.pointer) == 1 else {
            throw .setupFailed(OpenSSLErrors.drain("the private key is not the certificate's"))
        }
    }
}
