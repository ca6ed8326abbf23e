#if canImport(Glibc)
import Glibc
#endif

/// Stable, opaque identifiers for devices: a hash of what identifies the hardware (bus
/// position, card id) rather than of the node name, so an id survives re-plugging into the
/// same port and reboots (W3C Media Capture §9.2: deviceId "must be persisted").
enum DeviceIdentity {
    /// FNV-1a, 64 bits, as 16 hex digits: short, stable across runs and Swift versions
    /// (Swift's `Hasher` is seeded per process, so it cannot be used).
    static func hash(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The sysfs path of the physical device behind a class device (`/sys/class/<cls>/<name>`),
    /// with a USB interface component ("1-1:1.0") removed so that the camera and microphone
    /// interfaces of one USB webcam map to the same path. Nil when sysfs does not say.
    static func physicalDevicePath(sysfsClassDevice: String) -> String? {
        guard let resolved = realPath(sysfsClassDevice + "/device") else { return nil }
        return stripUSBInterface(resolved)
    }

    /// "/sys/devices/.../usb1/1-1/1-1:1.3" becomes "/sys/devices/.../usb1/1-1"; other paths
    /// come back unchanged.
    static func stripUSBInterface(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        let last = path[path.index(after: slash)...]
        // USB interface names are "<bus>-<port path>:<config>.<interface>".
        if let colon = last.firstIndex(of: ":"), last[..<colon].contains("-"),
            last[last.index(after: colon)...].contains(".")
        {
            return String(path[..<slash])
        }
        return path
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// Text helpers for fixed-size C character arrays imported as tuples.
enum CText {
    /// Decodes a NUL-terminated C string stored in a fixed-size tuple of bytes.
    static func string<T>(fromTuple tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The FourCC name of a V4L2 pixel format ("YUYV", "MJPG", ...).
    static func fourCC(_ code: UInt32) -> String {
        var chars: [UInt8] = []
        for shift in stride(from: 0, to: 32, by: 8) {
            let c = UInt8((code >> UInt32(shift)) & 0xff)
            chars.append(c >= 0x20 && c < 0x7f ? c : UInt8(ascii: "?"))
        }
        while chars.last == UInt8(ascii: " ") { chars.removeLast() }
        return String(decoding: chars, as: UTF8.self)
    }

    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
