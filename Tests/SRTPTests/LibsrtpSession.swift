import CSRTP
import SRTP

/// libsrtp2 as the reference implementation the SRTP tests compare against (the product's
/// SRTP is over OpenSSL; Debian's libsrtp2 is built on NSS).
enum Libsrtp {
    private static let initStatus: UInt32 = srtp_init().rawValue

    /// `srtp_init`, once per process (a Swift global: `swift_once`).
    static func ensureInitialized() throws {
        if initStatus != srtp_err_status_ok.rawValue { throw LibsrtpSession.Failure(status: initStatus) }
    }
}

/// A libsrtp session (`srtp_t`) set up as the product's `SRTPSession` was before it moved to
/// OpenSSL: `ssrc_any_outbound` / `ssrc_any_inbound`, replay window 1024, and
/// `allow_repeat_tx` on outbound sessions. Used from one test at a time.
final class LibsrtpSession: @unchecked Sendable {
    struct Failure: Error, Equatable {
        let status: UInt32
        static let authFail = Failure(status: srtp_err_status_auth_fail.rawValue)
        static let replayFail = Failure(status: srtp_err_status_replay_fail.rawValue)
        static let replayOld = Failure(status: srtp_err_status_replay_old.rawValue)
    }

    private let session: OpaquePointer

    init(profile: SRTPProtectionProfile, masterKey: [UInt8], masterSalt: [UInt8], direction: SRTPSession.Direction) throws {
        try Libsrtp.ensureInitialized()
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
        policy.window_size = 1024
        policy.allow_repeat_tx = direction == .outbound ? 1 : 0
        var keyAndSalt = masterKey + masterSalt
        var handle: OpaquePointer?
        let status = keyAndSalt.withUnsafeMutableBufferPointer { key in
            policy.key = key.baseAddress
            return srtp_create(&handle, &policy)
        }
        guard status == srtp_err_status_ok, let handle else { throw Failure(status: status.rawValue) }
        session = handle
    }

    deinit { _ = srtp_dealloc(session) }

    private func run(
        _ packet: [UInt8], headroom: Int,
        _ operation: (srtp_t?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> srtp_err_status_t
    ) throws -> [UInt8] {
        var buffer = packet + [UInt8](repeating: 0, count: headroom)
        var length = Int32(packet.count)
        let status = buffer.withUnsafeMutableBytes { operation(session, $0.baseAddress, &length) }
        guard status == srtp_err_status_ok else { throw Failure(status: status.rawValue) }
        return Array(buffer[0..<Int(length)])
    }

    func protectRTP(_ packet: [UInt8]) throws -> [UInt8] { try run(packet, headroom: 148, srtp_protect) }
    func unprotectRTP(_ packet: [UInt8]) throws -> [UInt8] { try run(packet, headroom: 0, srtp_unprotect) }
    func protectRTCP(_ packet: [UInt8]) throws -> [UInt8] { try run(packet, headroom: 148, srtp_protect_rtcp) }
    func unprotectRTCP(_ packet: [UInt8]) throws -> [UInt8] { try run(packet, headroom: 0, srtp_unprotect_rtcp) }
}
