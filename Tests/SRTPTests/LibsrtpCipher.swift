import CSRTP
import Glibc
@testable import SRTP

/// A libsrtp cipher (`srtp_cipher_t`) used directly, without the key derivation, so that the
/// RFCs' session-key vectors can be run against libsrtp's own AES-CM and AES-GCM.
/// The cipher types (`srtp_aes_icm_128`, ...) are exported by libsrtp2 but not declared in its
/// installed headers, so they are looked up by symbol name.
final class LibsrtpCipher {
    enum Failure: Error { case missingSymbol(String), status(UInt32) }
    private let cipher: UnsafeMutablePointer<srtp_cipher_t>

    init(type symbol: String, keyLengthWithSalt: Int, tagLength: Int, key: [UInt8]) throws {
        try Libsrtp.ensureInitialized()
        guard let process = dlopen(nil, RTLD_NOW), let type = dlsym(process, symbol) else {
            throw Failure.missingSymbol(symbol)
        }
        var allocated: UnsafeMutablePointer<srtp_cipher_t>?
        let status = srtp_cipher_type_alloc(
            type.assumingMemoryBound(to: srtp_cipher_type_t.self), &allocated,
            Int32(keyLengthWithSalt), Int32(tagLength))
        guard status == srtp_err_status_ok, let allocated else { throw Failure.status(status.rawValue) }
        cipher = allocated
        var keyBuffer = key + [UInt8](repeating: 0, count: max(0, keyLengthWithSalt - key.count))
        try check(srtp_cipher_init(cipher, &keyBuffer))
    }

    deinit { _ = srtp_cipher_dealloc(cipher) }

    private func check(_ status: srtp_err_status_t) throws {
        if status != srtp_err_status_ok { throw Failure.status(status.rawValue) }
    }

    /// Encrypts `plaintext` under `iv` with `aad` (GCM only); returns ciphertext || tag.
    func encrypt(iv: [UInt8], aad: [UInt8] = [], plaintext: [UInt8], tagLength: Int = 0) throws -> [UInt8] {
        var iv = iv
        try check(srtp_cipher_set_iv(cipher, &iv, Int32(srtp_direction_encrypt.rawValue)))
        if !aad.isEmpty { try check(srtp_cipher_set_aad(cipher, aad, UInt32(aad.count))) }
        // Room after the text: libsrtp's NSS GCM writes the tag there before handing it back.
        var buffer = plaintext + [UInt8](repeating: 0, count: 16)
        var length = UInt32(plaintext.count)
        try check(srtp_cipher_encrypt(cipher, &buffer, &length))
        var out = Array(buffer[0..<Int(length)])
        if tagLength > 0 {
            var tag = [UInt8](repeating: 0, count: 16)
            var tagLen = UInt32(0)
            try check(srtp_cipher_get_tag(cipher, &tag, &tagLen))
            out += tag[0..<Int(tagLen)]
        }
        return out
    }
}
