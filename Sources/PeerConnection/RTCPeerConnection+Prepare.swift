import DTLS
import Foundation
import SRTP

extension RTCPeerConnection {
    /// What the process's first connection would otherwise do on its way to connecting,
    /// started once on a thread of its own: libsrtp's self-tests (`srtp_init`, about 30 ms:
    /// each cipher test loads NSS's softoken again) and OpenSSL's first key pair (its
    /// configuration file, the random generator). `tincan recv` measured 31 ms of them
    /// between the offer's arrival and its answer (strace). A command that will make or
    /// answer an offer calls this at start; calling it again, or making a connection while it
    /// runs, is safe (the connection then waits for what is left of it).
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
