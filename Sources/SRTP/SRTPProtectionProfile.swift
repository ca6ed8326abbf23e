/// A DTLS-SRTP protection profile (RFC 5764 §4.1.2, RFC 7714 §14.2).
///
/// `allCases` is in Tincan's order of preference: the AEAD profiles first (aiortc picks
/// AEAD_AES_256_GCM when offered), AES128_CM_SHA1_80 last for peers without GCM.
public enum SRTPProtectionProfile: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case aeadAES256GCM = 0x0008
    case aeadAES128GCM = 0x0007
    case aes128CMSHA1_80 = 0x0001

    /// The name OpenSSL's `SSL_CTX_set_tlsext_use_srtp` and `openssl s_client -use_srtp` use.
    public var openSSLName: String {
        switch self {
        case .aeadAES256GCM: "SRTP_AEAD_AES_256_GCM"
        case .aeadAES128GCM: "SRTP_AEAD_AES_128_GCM"
        case .aes128CMSHA1_80: "SRTP_AES128_CM_SHA1_80"
        }
    }

    public var description: String { openSSLName }

    /// Master key length in bytes (RFC 5764 §4.1.2, RFC 7714 §14.2).
    public var masterKeyLength: Int {
        switch self {
        case .aeadAES256GCM: 32
        case .aeadAES128GCM, .aes128CMSHA1_80: 16
        }
    }

    /// Master salt length in bytes: 96 bits for AEAD (RFC 7714 §12), 112 bits for AES-CM.
    public var masterSaltLength: Int {
        switch self {
        case .aeadAES256GCM, .aeadAES128GCM: 12
        case .aes128CMSHA1_80: 14
        }
    }

    /// Bytes an SRTP packet grows by: the 16-byte GCM tag or the 80-bit HMAC-SHA1 tag.
    public var rtpOverhead: Int {
        switch self {
        case .aeadAES256GCM, .aeadAES128GCM: 16
        case .aes128CMSHA1_80: 10
        }
    }

    /// Bytes an SRTCP packet grows by: the tag plus the 4-byte E-flag/SRTCP index word.
    public var rtcpOverhead: Int { rtpOverhead + 4 }

    /// The profile for the parameter `SSL_get_selected_srtp_profile` reports, if Tincan knows it.
    public init?(id: UInt16) { self.init(rawValue: id) }
}
