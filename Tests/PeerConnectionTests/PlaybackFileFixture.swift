#if canImport(Glibc)
import Glibc
#endif

/// A user-space speaker: alsa-lib's `file` plugin over `null` writes what is played to a raw
/// file (S16_LE, interleaved), with no sound card. ALSA_CONFIG_PATH is process-wide, so this
/// adds its asoundrc to the path rather than replacing it (LinuxCaptureTests add theirs).
enum PlaybackFileFixture {
    static let directory: String = {
        var template = Array("/tmp/tincan-playout-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { buf -> String in
            guard let p = mkdtemp(buf.baseAddress!) else { return "/tmp" }
            return String(cString: p)
        }
        let rc = "pcm.tincan_speaker { type file slave.pcm \"null\" file \"\(dir)/speaker.raw\" format \"raw\" }\n"
        if let file = fopen(dir + "/asoundrc", "w") {
            fputs(rc, file)
            fclose(file)
        }
        let path = getenv("ALSA_CONFIG_PATH").map { String(cString: $0) } ?? "/usr/share/alsa/alsa.conf"
        setenv("ALSA_CONFIG_PATH", "\(path):\(dir)/asoundrc", 1)
        return dir
    }()

    /// The ALSA device and the file its audio lands in.
    static var speaker: (device: String, file: String) { ("tincan_speaker", directory + "/speaker.raw") }

    static func samples(at path: String) -> [Int16] {
        guard let file = fopen(path, "rb") else { return [] }
        defer { fclose(file) }
        var out: [Int16] = []
        var chunk = [Int16](repeating: 0, count: 4800)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 2, 4800, file) }
            if n == 0 { break }
            out += chunk.prefix(n)
        }
        return out
    }
}
