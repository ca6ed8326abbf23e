import DTLS
import Foundation
import SRTP

extension RTCPeerConnection {
    /// What the process's first connection would otherwise do on its way to connecting,
    /// started once on a thread of its own: fetching SRTP's ciphers and HMAC from OpenSSL
    /// (`SRTPLibrary`: its default provider) and OpenSSL's first key pair (its configuration
    /// file, the random generator). With libsrtp (its `srtp_init` self-tests, on NSS) `tincan
    /// recv` measured 31 ms of such work between the offer's arrival and its answer (strace);
    /// SRTP is now over OpenSSL's libcrypto and that figure is not remeasured. A command that
    /// will make or answer an offer calls this at start; calling it again, or making a
    /// connection while it runs, is safe (the connection then waits for what is left of it).
    public static func prepare() {
        _ = preparing
    }

    private static let preparing: Void = {
        Thread.detachNewThread {
            try? SRTPLibrary.ensureInitialized()
            _ = try? DTLSCertificate.generate()
        }
    }()
}
