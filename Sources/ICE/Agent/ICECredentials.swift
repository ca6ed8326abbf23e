/// ice-ufrag and ice-pwd (RFC 8839 §5.4): the short-term credentials of one ICE session.
public struct ICECredentials: Hashable, Sendable {
    public var ufrag: String
    public var pwd: String

    public init(ufrag: String, pwd: String) {
        self.ufrag = ufrag
        self.pwd = pwd
    }

    /// ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 §5.4).
    static let iceChars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    /// New random credentials from a CSPRNG: 16 and 24 ice-chars, more than the 4 and 22 the
    /// RFC (and Chromium) require, and 24 x 6 = 144 bits of password entropy (> 128, §5.3).
    public static func generate() -> ICECredentials {
        var generator = SecureRandom()
        return generate(using: &generator)
    }

    public static func generate(using generator: inout some RandomNumberGenerator) -> ICECredentials {
        func random(_ n: Int) -> String {
            // 64 symbols: 6 bits of each random byte, no modulo bias.
            String((0..<n).map { _ in iceChars[Int(UInt8.random(in: 0...255, using: &generator) & 63)] })
        }
        return ICECredentials(ufrag: random(16), pwd: random(24))
    }

    /// True when both are made of ice-chars and long enough for peers (ufrag 4-256, pwd 22-256).
    public var isValid: Bool {
        let chars = Set(Self.iceChars)
        return (4...256).contains(ufrag.count) && (22...256).contains(pwd.count)
            && ufrag.allSatisfy(chars.contains) && pwd.allSatisfy(chars.contains)
    }
}
