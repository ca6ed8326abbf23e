import COpenSSL
import Testing
@testable import DTLS

@Suite struct FingerprintAndSetupTests {
    @Test func parsesAndFormatsSHA256() throws {
        let text = "sha-256 " + (0..<32).map { String(format2: UInt8($0 * 7)) }.joined(separator: ":")
        let fingerprint = try DTLSFingerprint(sdp: text)
        #expect(fingerprint.algorithm == .sha256)
        #expect(fingerprint.value == (0..<32).map { UInt8($0 * 7) })
        #expect(fingerprint.sdpValue == text)
        #expect(try DTLSFingerprint(sdp: "a=fingerprint:SHA-256 " + text.dropFirst(8).lowercased()) == fingerprint)
    }

    @Test(arguments: DTLSFingerprint.Algorithm.allCases)
    func acceptsEveryRegisteredLength(_ algorithm: DTLSFingerprint.Algorithm) throws {
        let hex = [String](repeating: "AB", count: algorithm.digestLength).joined(separator: ":")
        #expect(try DTLSFingerprint(sdp: "\(algorithm.rawValue) \(hex)").value.count == algorithm.digestLength)
        #expect(throws: DTLSError.self) { try DTLSFingerprint(sdp: "\(algorithm.rawValue) \(hex):CD") }
    }

    @Test(arguments: [
        "", "sha-256", "md5 AB:CD", "sha-256 AB:CD", "sha-256 " + String(repeating: "ZZ:", count: 31) + "ZZ",
        "sha-256 " + String(repeating: "A:", count: 31) + "A", "sha-256 AB::CD", "sha-256 AB CD",
    ])
    func rejectsMalformedFingerprints(_ text: String) {
        #expect(throws: DTLSError.self) { try DTLSFingerprint(sdp: text) }
    }

    @Test func setupMapsToRoles() {
        #expect(DTLSSetup.active.role == .client)
        #expect(DTLSSetup.passive.role == .server)
        #expect(DTLSSetup.actpass.role == nil)
        // Our actpass offer answered "active" (aiortc, webrtcbin, Chromium, Janus): we serve.
        #expect(DTLSSetup.localRole(remote: .active) == .server)
        #expect(DTLSSetup.localRole(remote: .passive) == .client)
        #expect(DTLSSetup.localRole(remote: .actpass) == nil)
        #expect(DTLSSetup(sdpValue: " ActPass ") == .actpass)
        #expect(DTLSSetup(sdpValue: "bogus") == nil)
    }

    /// The certificate is ECDSA on P-256, self-signed, and its fingerprint is the SHA-256 of
    /// its DER (computed here with OpenSSL's X509_digest, independently of the module).
    @Test func certificateIsECDSAP256WithSHA256Fingerprint() throws {
        let certificate = try DTLSCertificate.generate()
        let (x509, key) = try certificate.parse()
        #expect(EVP_PKEY_get_base_id(key.pointer) == EVP_PKEY_EC)
        var group = [CChar](repeating: 0, count: 64)
        var groupLength = 0
        #expect(EVP_PKEY_get_group_name(key.pointer, &group, group.count, &groupLength) == 1)
        #expect(String(decoding: group.prefix(groupLength).map { UInt8(bitPattern: $0) }, as: UTF8.self) == "prime256v1")
        #expect(X509_verify(x509.pointer, key.pointer) == 1)  // self-signed with its own key
        var digest = [UInt8](repeating: 0, count: 32)
        var digestLength: UInt32 = 0
        #expect(X509_digest(x509.pointer, EVP_sha256(), &digest, &digestLength) == 1)
        #expect(certificate.fingerprint.value == digest)
        #expect(certificate.fingerprint.sdpValue.hasPrefix("sha-256 "))
        #expect(certificate.fingerprint.sdpValue.count == 8 + 32 * 3 - 1)
        #expect(try DTLSCertificate.generate().fingerprint != certificate.fingerprint)
    }
}

extension String {
    init(format2 byte: UInt8) {
        let digits = Array("0123456789ABCDEF")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }
}
