import CSRTP

/// libsrtp's global initialisation (`srtp_init`), run exactly once per process.
///
/// A Swift global is initialised lazily under `swift_once`, so concurrent first users are safe.
public enum SRTPLibrary {
    private static let initStatus: UInt32 = srtp_init().rawValue

    /// Runs `srtp_init` on first use; throws if libsrtp could not start (its self-tests failed).
    /// It takes about 20 ms (self-tests): a call runs it before it connects, not after.
    public static func ensureInitialized() throws(SRTPError) {
        let status = initStatus
        if status != srtp_err_status_ok.rawValue { throw .libsrtp(status: status) }
    }
}
