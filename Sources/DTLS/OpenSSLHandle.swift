import COpenSSL

/// The single Swift owner of one OpenSSL object (`X509`, `EVP_PKEY`, `SSL_CTX`,
/// `EVP_PKEY_CTX`, ...): frees it with the matching `*_free` in deinit.
final class OpenSSLHandle {
    let pointer: OpaquePointer
    private let free: (OpaquePointer) -> Void

    init?(_ pointer: OpaquePointer?, free: @escaping (OpaquePointer) -> Void) {
        guard let pointer else { return nil }
        self.pointer = pointer
        self.free = free
    }

    deinit { free(pointer) }
}

enum OpenSSLErrors {
    /// Drains this thread's OpenSSL error queue into one readable line.
    static func drain(_ fallback: String) -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? fallback : messages.joined(separator: "; ")
    }
}
