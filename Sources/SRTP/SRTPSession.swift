import CSRTP
import Synchronization

/// One libsrtp session (`srtp_t`) for one direction of one DTLS-SRTP association.
///
/// An outbound session protects every SSRC this endpoint sends (`ssrc_any_outbound`), an
/// inbound one unprotects every SSRC the peer sends (`ssrc_any_inbound`); libsrtp keeps a
/// stream (rollover counter, replay list) per SSRC inside the session.
///
/// Thread-safety: libsrtp sessions are not thread-safe. Every call takes the session's
/// `Mutex`, so a session may be used from any thread; calls on one session run one at a
/// time. Use separate sessions (they are cheap) for work that must run in parallel.
///
/// The per-packet path works in place in the caller's buffer and allocates nothing: give it
/// a buffer with `trailerCapacity` bytes of room after the packet.
public final class SRTPSession: Sendable {
    public enum Direction: Sendable { case outbound, inbound }

    /// Room libsrtp may write after a packet when protecting it: `SRTP_MAX_TRAILER_LEN`
    /// (tag + MKI, as srtp.h documents) plus the 4-byte SRTCP index.
    public static let trailerCapacity = Int(SRTP_MAX_TRAILER_LEN) + 4

    /// Replay window in packets (RFC 3711 §3.3.2 asks for at least 64; WebRTC stacks use 1024).
    public static let replayWindowSize = 1024

    public let profile: SRTPProtectionProfile
    public let direction: Direction
    /// The `srtp_t`. `nonisolated(unsafe)` because it is a C pointer: every use is inside
    /// `lock`, which is what makes this class `Sendable`.
    nonisolated(unsafe) private let session: OpaquePointer
    private let lock = Mutex<Void>(())

    /// Creates a session from a master key and salt of the profile's lengths.
    ///
    /// The key derivation (RFC 3711 §4.3, RFC 7714 §11) happens in libsrtp. Replay protection
    /// is on for inbound sessions; outbound sessions allow a sequence number to be protected
    /// again (`allow_repeat_tx`), since a retransmission of the same packet is not an attack.
    public init(
        profile: SRTPProtectionProfile, masterKey: [UInt8], masterSalt: [UInt8], direction: Direction
    ) throws(SRTPError) {
        try SRTPLibrary.ensureInitialized()
        guard masterKey.count == profile.masterKeyLength else {
            throw .badKeyLength(expected: profile.masterKeyLength, got: masterKey.count)
        }
        guard masterSalt.count == profile.masterSaltLength else {
            throw .badKeyLength(expected: profile.masterSaltLength, got: masterSalt.count)
        }
        var policy = srtp_policy_t()
        switch profile {
        case .aeadAES256GCM:
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtcp)
        case .aeadAES128GCM:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        case .aes128CMSHA1_80:
            tincan_srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp)
            tincan_srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp)
        }
        policy.ssrc.type = direction == .outbound ? ssrc_any_outbound : ssrc_any_inbound
        policy.window_size = UInt(Self.replayWindowSize)
        policy.allow_repeat_tx = direction == .outbound ? 1 : 0
        var keyAndSalt = masterKey + masterSalt
        var handle: OpaquePointer?
        let status = keyAndSalt.withUnsafeMutableBufferPointer { key in
            policy.key = key.baseAddress
            return srtp_create(&handle, &policy)
        }
        // Wipe our copy of the key material; libsrtp keeps its own derived keys.
        for i in keyAndSalt.indices { keyAndSalt[i] = 0 }
        guard status == srtp_err_status_ok, let handle else { throw SRTPError(status: status) }
        self.profile = profile
        self.direction = direction
        self.session = handle
    }

    deinit {
        _ = srtp_dealloc(session)
    }

    // MARK: - In place, no allocation

    /// Protects the RTP packet in `buffer[0..<length]` in place and returns the SRTP length.
    /// `buffer` must have `trailerCapacity` bytes of room after the packet.
    public func protectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try run(buffer, length: length, headroom: Self.trailerCapacity, srtp_protect)
    }

    /// Verifies and decrypts the SRTP packet in `buffer[0..<length]`; returns the RTP length.
    public func unprotectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try run(buffer, length: length, headroom: 0, srtp_unprotect)
    }

    /// Protects the RTCP compound packet in `buffer[0..<length]` in place (RFC 3711 §3.4).
    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try run(buffer, length: length, headroom: Self.trailerCapacity, srtp_protect_rtcp)
    }

    /// Verifies and decrypts the SRTCP packet in `buffer[0..<length]`; returns the RTCP length.
    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try run(buffer, length: length, headroom: 0, srtp_unprotect_rtcp)
    }

    private func run(
        _ buffer: UnsafeMutableRawBufferPointer, length: Int, headroom: Int,
        _ operation: @Sendable (srtp_t?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> srtp_err_status_t
    ) throws(SRTPError) -> Int {
        guard length >= 0, length <= Int(Int32.max) - headroom, length + headroom <= buffer.count,
              let base = buffer.baseAddress
        else {
            throw .bufferTooSmall(needed: max(length, 0) + headroom, available: buffer.count)
        }
        var length32 = Int32(length)
        let handle = session
        let status = lock.withLock { _ in operation(handle, base, &length32) }
        guard status == srtp_err_status_ok else { throw SRTPError(status: status) }
        return Int(length32)
    }

    // MARK: - Conveniences that allocate (tests, control paths)

    public func protectRTP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        try copying(packet, headroom: Self.trailerCapacity) { (b, n) throws(SRTPError) in try protectRTP(b, length: n) }
    }

    public func unprotectRTP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        try copying(packet, headroom: 0) { (b, n) throws(SRTPError) in try unprotectRTP(b, length: n) }
    }

    public func protectRTCP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        try copying(packet, headroom: Self.trailerCapacity) { (b, n) throws(SRTPError) in try protectRTCP(b, length: n) }
    }

    public func unprotectRTCP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        try copying(packet, headroom: 0) { (b, n) throws(SRTPError) in try unprotectRTCP(b, length: n) }
    }

    private func copying(
        _ packet: [UInt8], headroom: Int,
        _ body: (UnsafeMutableRawBufferPointer, Int) throws(SRTPError) -> Int
    ) throws(SRTPError) -> [UInt8] {
        var buffer = packet + [UInt8](repeating: 0, count: headroom)
        let result = buffer.withUnsafeMutableBytes { raw in
            Result { () throws(SRTPError) -> Int in try body(raw, packet.count) }
        }
        let n = try result.get()
        buffer.removeSubrange(n...)
        return buffer
    }
}
