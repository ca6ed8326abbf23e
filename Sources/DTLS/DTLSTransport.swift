import Glibc
import COpenSSL
import SRTP
import Synchronization

/// A DTLS 1.2 endpoint for DTLS-SRTP (RFC 5764), sans-I/O.
///
/// It never touches a socket or a clock of its own: feed it each received DTLS datagram with
/// `receive(_:)`, send whatever `takeOutgoingDatagrams()` returns, and call `handleTimeout()`
/// when `retransmissionTimeout` has passed. Datagrams stay within `DTLSConfiguration.mtu`.
///
/// The peer's certificate is checked, during the handshake, against the fingerprint its SDP
/// announced; a mismatch aborts the handshake with a `bad_certificate` alert and
/// `DTLSError.fingerprintMismatch`. SRTP keys can only be had from a `.connected` transport,
/// so a mismatched peer never gets a media packet.
///
/// Timers: OpenSSL 3.0 measures its retransmission timer against the system clock and offers
/// no way to inject another, so `retransmissionTimeout` is time left on that clock. The
/// caller's event loop decides when to call `handleTimeout()`; calling it early does nothing.
/// The first timeout is set through `DTLS_set_timer_cb` (`initialRetransmissionTimeout`).
///
/// Thread-safety: every method takes the transport's lock; OpenSSL's callbacks run inside it.
public final class DTLSTransport: Sendable {
    public let role: DTLSRole
    public let localFingerprint: DTLSFingerprint
    public let remoteFingerprint: DTLSFingerprint

    private let lock = Mutex<Void>(())
    // OpenSSL objects and the callback context: `nonisolated(unsafe)` because they are C
    // pointers or callback state; every use is inside `lock`.
    nonisolated(unsafe) private let ssl: OpenSSLHandle
    nonisolated(unsafe) private let readBIO: OpaquePointer  // owned by `ssl` (SSL_set_bio)
    nonisolated(unsafe) private let context: DTLSConnectionContext

    /// - Parameters:
    ///   - role: from the SDP's `a=setup` (see `DTLSSetup`).
    ///   - remoteFingerprint: the peer's `a=fingerprint`.
    public init(
        role: DTLSRole, certificate: DTLSCertificate, remoteFingerprint: DTLSFingerprint,
        configuration: DTLSConfiguration = DTLSConfiguration()
    ) throws(DTLSError) {
        self.role = role
        self.localFingerprint = certificate.fingerprint
        self.remoteFingerprint = remoteFingerprint
        let initial = configuration.initialRetransmissionTimeout.components
        let initialMicroseconds = UInt32(clamping: initial.seconds * 1_000_000 + initial.attoseconds / 1_000_000_000_000)
        context = DTLSConnectionContext(
            expectedFingerprint: remoteFingerprint,
            initialTimeoutMicroseconds: configuration.callerClocksRetransmissions
                ? UInt32(DTLSConfiguration.callerClockedTimeout / .microseconds(1)) : max(initialMicroseconds, 1000),
            timerDoubles: !configuration.callerClocksRetransmissions)
        guard !configuration.srtpProfiles.isEmpty else { throw .setupFailed("no SRTP profile configured") }

        ERR_clear_error()
        let sslContext = try Self.makeContext(certificate: certificate, profiles: configuration.srtpProfiles)
        guard let ssl = OpenSSLHandle(SSL_new(sslContext.pointer), free: { SSL_free($0) }),
              let readBIO = BIO_new(BIO_s_mem())
        else { throw .setupFailed(OpenSSLErrors.drain("SSL_new")) }
        guard let writeBIO = DatagramBIO.make(context: context) else {
            BIO_free(readBIO)
            throw .setupFailed(OpenSSLErrors.drain("datagram BIO"))
        }
        SSL_set_bio(ssl.pointer, readBIO, writeBIO)
        self.ssl = ssl
        self.readBIO = readBIO
        _ = SSL_set_ex_data(ssl.pointer, 0, Unmanaged.passUnretained(context).toOpaque())
        switch role {
        case .client: SSL_set_connect_state(ssl.pointer)
        case .server: SSL_set_accept_state(ssl.pointer)
        }
        DTLS_set_timer_cb(ssl.pointer) { ssl, previous in
            // RFC 6347 §4.2.4.1: start at the configured value, double, cap at 60 s (unless
            // the caller keeps the schedule: then always the same, `callerClockedTimeout`).
            guard let context = DTLSConnectionContext.from(SSL_get_ex_data(ssl, 0)) else { return 1_000_000 }
            if previous == 0 || !context.timerDoubles { return context.initialTimeoutMicroseconds }
            return min(previous &* 2, 60_000_000)
        }
        guard tincan_DTLS_set_link_mtu(ssl.pointer, configuration.mtu) == 1 else {
            throw .setupFailed("MTU \(configuration.mtu) is below OpenSSL's minimum")
        }
    }

    /// ECDHE suites for both certificate types, AEAD first. The suite's authentication is the
    /// *server's* certificate: our own is always ECDSA P-256, but as the DTLS client (when we
    /// answer `active`) the server is the offerer, and GStreamer webrtcbin, many gateways and
    /// older browsers present RSA certificates; offering only ECDHE-ECDSA made them answer
    /// handshake_failure (docs/interop.md, webrtcbin). As the server, OpenSSL picks from this list only
    /// suites our ECDSA certificate can sign, so the RSA entries change nothing there; a
    /// client's RSA certificate is accepted either way (CertificateVerify uses the
    /// signature_algorithms, not the suite; RFC 5246 §7.4.8). The RFC 8827 §6.5 floor is
    /// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, first here.
    static let cipherList = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA",
        "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA",
    ].joined(separator: ":")

    private static func makeContext(
        certificate: DTLSCertificate, profiles: [SRTPProtectionProfile]
    ) throws(DTLSError) -> OpenSSLHandle {
        guard let context = OpenSSLHandle(SSL_CTX_new(DTLS_method()), free: { SSL_CTX_free($0) }) else {
            throw .setupFailed(OpenSSLErrors.drain("SSL_CTX_new"))
        }
        let ctx = context.pointer
        let (x509, key) = try certificate.parse()
        // SSL_OP_NO_QUERY_MTU (SSL_OP_BIT(12), a macro Swift cannot see): the MTU is set, not asked.
        let noQueryMTU: UInt64 = 1 << 12
        _ = SSL_CTX_set_options(ctx, noQueryMTU)
        let profileList = profiles.map(\.openSSLName).joined(separator: ":")
        let ok = tincan_SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) == 1
            && tincan_SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) == 1
            && SSL_CTX_use_certificate(ctx, x509.pointer) == 1
            && SSL_CTX_use_PrivateKey(ctx, key.pointer) == 1
            && SSL_CTX_check_private_key(ctx) == 1
            && SSL_CTX_set_cipher_list(ctx, cipherList) == 1
            && SSL_CTX_set_tlsext_use_srtp(ctx, profileList) == 0  // 0 is success here
        guard ok else { throw .setupFailed(OpenSSLErrors.drain("SSL_CTX setup")) }
        // Both sides must present a certificate; the verify callback checks it against SDP.
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT) { _, store in
            DTLSTransport.verifyPeer(store: store)
        }
        return context
    }

    /// OpenSSL's verify callback: self-signed is fine, but the leaf must match the SDP
    /// fingerprint (RFC 8122 §5, RFC 5763 §5). Returning 0 aborts with bad_certificate.
    private static func verifyPeer(store: OpaquePointer?) -> Int32 {
        guard let store, X509_STORE_CTX_get_error_depth(store) == 0 else { return 1 }
        guard let ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
              let context = DTLSConnectionContext.from(SSL_get_ex_data(OpaquePointer(ssl), 0)),
              let leaf = X509_STORE_CTX_get_current_cert(store)
        else { return 0 }
        let received = fingerprint(of: leaf, algorithm: context.expectedFingerprint.algorithm)
        context.receivedFingerprint = received
        guard received == context.expectedFingerprint else {
            context.fingerprintMismatch = true
            // CERT_REJECTED makes OpenSSL send bad_certificate rather than unknown_ca.
            X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED)
            return 0
        }
        return 1
    }

    private static func fingerprint(of x509: OpaquePointer, algorithm: DTLSFingerprint.Algorithm) -> DTLSFingerprint? {
        let length = i2d_X509(x509, nil)
        guard length > 0 else { return nil }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return i2d_X509(x509, &cursor)
        }
        guard written == length else { return nil }
        return try? DTLSFingerprint(certificateDER: der, algorithm: algorithm)
    }

    // MARK: - Driving the connection

    public var state: DTLSState { lock.withLock { _ in context.state } }

    /// Starts the handshake: a client writes its ClientHello, a server waits for one.
    public func start() -> [DTLSEvent] {
        lock.withLock { _ in
            guard context.state == .new else { return [] }
            context.state = .connecting
            return advance()
        }
    }

    /// Feeds one received datagram (already demultiplexed as DTLS, RFC 7983).
    public func receive(_ datagram: [UInt8]) throws(DTLSError) -> [DTLSEvent] {
        let result = datagram.withUnsafeBytes { raw in
            Result { () throws(DTLSError) -> [DTLSEvent] in try receive(bytes: raw) }
        }
        return try result.get()
    }

    public func receive(bytes datagram: UnsafeRawBufferPointer) throws(DTLSError) -> [DTLSEvent] {
        guard let first = datagram.first, (20...63).contains(first), datagram.count <= 65_535 else {
            throw .notDTLS
        }
        return lock.withLock { _ in
            switch context.state {
            case .closed, .failed: return []
            case .new: context.state = .connecting
            case .connecting, .connected: break
            }
            _ = BIO_write(readBIO, datagram.baseAddress, Int32(datagram.count))
            return advance()
        }
    }

    /// The negotiated cipher suite by its IANA name (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`),
    /// as W3C webrtc-stats `RTCTransportStats.dtlsCipher` reports it; nil before the handshake.
    public var dtlsCipher: String? {
        lock.withLock { _ in
            guard isConnected, let cipher = SSL_get_current_cipher(ssl.pointer),
                  let name = SSL_CIPHER_standard_name(cipher)
            else { return nil }
            return String(cString: name)
        }
    }

    /// Time left before OpenSSL wants to retransmit its last flight, or nil if no timer runs.
    public var retransmissionTimeout: Duration? {
        lock.withLock { _ in
            var tv = timeval()
            guard tincan_DTLSv1_get_timeout(ssl.pointer, &tv) == 1 else { return nil }
            return .seconds(tv.tv_sec) + .microseconds(tv.tv_usec)
        }
    }

    /// Retransmits the last flight if its timer has expired (RFC 6347 §4.2.4).
    public func handleTimeout() -> [DTLSEvent] {
        lock.withLock { _ in
            guard context.state == .connecting || isConnected else { return [] }
            ERR_clear_error()
            if tincan_DTLSv1_handle_timeout(ssl.pointer) < 0 {
                return [fail(.handshakeFailed(OpenSSLErrors.drain("retransmission limit reached")))]
            }
            return []
        }
    }

    /// Retransmits the last flight now, for a caller that keeps the schedule on its own clock
    /// (`DTLSConfiguration.callerClocksRetransmissions`): waits out what is left of OpenSSL's
    /// real-clock timer first (at most `callerClockedTimeout`), since OpenSSL resends only
    /// once it has run out. Simulated time only: it blocks the calling thread.
    public func retransmit() -> [DTLSEvent] {
        if let left = retransmissionTimeout, left > .zero {
            let c = min(left, DTLSConfiguration.callerClockedTimeout).components
            usleep(UInt32(clamping: c.seconds * 1_000_000 + c.attoseconds / 1_000_000_000_000 + 200))
        }
        return handleTimeout()
    }

    /// Datagrams to send to the peer, oldest first; each at most `mtu` bytes.
    public func takeOutgoingDatagrams() -> [[UInt8]] {
        lock.withLock { _ in
            guard !context.outgoing.isEmpty else { return [] }  // no allocation when nothing waits
            defer { context.outgoing = [] }
            return context.outgoing
        }
    }

    /// Sends application data (SCTP for data channels) once connected.
    public func send(applicationData: [UInt8]) throws(DTLSError) {
        try lock.withLock { (_) throws(DTLSError) in
            guard isConnected else { throw .notConnected }
            guard !applicationData.isEmpty else { return }
            ERR_clear_error()
            let written = applicationData.withUnsafeBytes { SSL_write(ssl.pointer, $0.baseAddress, Int32($0.count)) }
            guard written == Int32(applicationData.count) else {
                throw .handshakeFailed(OpenSSLErrors.drain("SSL_write failed"))
            }
        }
    }

    /// Sends close_notify and closes; later datagrams are ignored.
    public func close() {
        lock.withLock { _ in
            if isConnected { _ = SSL_shutdown(ssl.pointer) }
            if case .failed = context.state { return }
            context.state = .closed
        }
    }

    // MARK: - SRTP keys (RFC 5764 §4.2)

    /// The SRTP master keys and salts, exported with "EXTRACTOR-dtls_srtp".
    /// Throws unless the handshake completed and the peer's fingerprint matched.
    public func exportSRTPKeyingMaterial() throws(DTLSError) -> SRTPKeyingMaterial {
        try lock.withLock { (_) throws(DTLSError) -> SRTPKeyingMaterial in
            guard case .connected(let profile) = context.state, !context.fingerprintMismatch,
                  context.receivedFingerprint == remoteFingerprint
            else {
                if context.fingerprintMismatch {
                    throw .fingerprintMismatch(expected: remoteFingerprint, received: context.receivedFingerprint)
                }
                throw .notConnected
            }
            let label = SRTPKeyingMaterial.exporterLabel
            var exported = [UInt8](repeating: 0, count: SRTPKeyingMaterial.exportLength(for: profile))
            let count = exported.count
            let ok = exported.withUnsafeMutableBufferPointer {
                SSL_export_keying_material(ssl.pointer, $0.baseAddress, count, label, label.utf8.count, nil, 0, 0)
            }
            guard ok == 1 else { throw .handshakeFailed(OpenSSLErrors.drain("keying material export failed")) }
            do {
                return try SRTPKeyingMaterial(profile: profile, exported: exported)
            } catch {
                throw .handshakeFailed("exported keying material: \(error)")
            }
        }
    }

    // MARK: - Internals (called with the lock held)

    private var isConnected: Bool {
        if case .connected = context.state { return true }
        return false
    }

    private func fail(_ error: DTLSError) -> DTLSEvent {
        context.state = .failed(error)
        return .failed(error)
    }

    private func advance() -> [DTLSEvent] {
        var events: [DTLSEvent] = []
        if context.state == .connecting {
            ERR_clear_error()
            let result = SSL_do_handshake(ssl.pointer)
            if result == 1 {
                events.append(handshakeCompleted())
            } else {
                let error = SSL_get_error(ssl.pointer, result)
                if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return events }
                if context.fingerprintMismatch {
                    _ = OpenSSLErrors.drain("")
                    return [fail(.fingerprintMismatch(expected: remoteFingerprint, received: context.receivedFingerprint))]
                }
                return [fail(.handshakeFailed(OpenSSLErrors.drain("SSL_do_handshake error \(error)")))]
            }
        }
        guard isConnected else { return events }
        let capacity = Int32(context.readBuffer.count)
        while true {
            ERR_clear_error()
            let n = context.readBuffer.withUnsafeMutableBytes { SSL_read(ssl.pointer, $0.baseAddress, capacity) }
            if n > 0 {
                events.append(.applicationData(Array(context.readBuffer[0..<Int(n)])))
                continue
            }
            let error = SSL_get_error(ssl.pointer, n)
            if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { break }
            if error == SSL_ERROR_ZERO_RETURN {
                _ = SSL_shutdown(ssl.pointer)  // answer the peer's close_notify with ours
                context.state = .closed
                events.append(.closed)
            } else {
                events.append(fail(.handshakeFailed(OpenSSLErrors.drain("SSL_read error \(error)"))))
            }
            break
        }
        return events
    }

    private func handshakeCompleted() -> DTLSEvent {
        // The verify callback already ran; check again on the certificate the session holds.
        guard let peer = OpenSSLHandle(SSL_get1_peer_certificate(ssl.pointer), free: { X509_free($0) }) else {
            return fail(.fingerprintMismatch(expected: remoteFingerprint, received: nil))
        }
        let received = Self.fingerprint(of: peer.pointer, algorithm: remoteFingerprint.algorithm)
        context.receivedFingerprint = received
        guard received == remoteFingerprint, !context.fingerprintMismatch else {
            context.fingerprintMismatch = true
            return fail(.fingerprintMismatch(expected: remoteFingerprint, received: received))
        }
        guard let selected = SSL_get_selected_srtp_profile(ssl.pointer),
              let profile = SRTPProtectionProfile(id: UInt16(truncatingIfNeeded: selected.pointee.id))
        else { return fail(.noSRTPProfile) }
        context.state = .connected(profile)
        return .connected(profile)
    }
}
