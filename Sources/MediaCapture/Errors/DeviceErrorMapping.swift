#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension MediaStreamError {
    /// Maps a failed system call on a capture device (open, ioctl, snd_pcm_open, read) to the
    /// DOM error getUserMedia rejects with, with a message the user can act on. For device
    /// sources such as LinuxCapture's V4L2 and ALSA devices (pass -result for ALSA's negative
    /// error codes).
    public static func device(_ label: String, errno code: Int32, during operation: String) -> MediaStreamError {
        let reason = String(cString: strerror(code))
        switch code {
        case EBUSY:
            return MediaStreamError(.notReadableError, "\(label) is busy (\(operation): \(reason)); another program may be using it")
        case EACCES, EPERM:
            return MediaStreamError(.notAllowedError, "\(label) cannot be opened (\(operation): \(reason)); add yourself to the video/audio group or check its permissions")
        case ENOENT, ENODEV, ENXIO:
            return MediaStreamError(.notFoundError, "\(label) is gone (\(operation): \(reason)); was it unplugged?")
        case EIO, EPIPE, EAGAIN, EINTR, ETIMEDOUT:
            return MediaStreamError(.notReadableError, "\(label) failed (\(operation): \(reason))")
        default:
            return MediaStreamError(.abortError, "\(label) failed (\(operation): \(reason))")
        }
    }
}
