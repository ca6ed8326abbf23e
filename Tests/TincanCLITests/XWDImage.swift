import Foundation

/// A screenshot in X Window Dump format (`xwd`, X11's XWDFile.h): a big-endian header of
/// 25 32-bit fields, the window name, the colormap, then ZPixmap rows. Only TrueColor
/// pixels of 24 or 32 bits (what Xvfb's 24-bit screens give) are read; anything else is an
/// error, never a trap.
struct XWDImage {
    let width: Int, height: Int
    /// RGB, 3 bytes per pixel, row by row.
    let rgb: [UInt8]

    struct FormatError: Error, CustomStringConvertible { var description: String }

    init(_ data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 100 else { throw FormatError(description: "xwd: \(bytes.count) bytes, shorter than the header") }
        func field(_ i: Int) -> Int {
            Int(bytes[i * 4]) << 24 | Int(bytes[i * 4 + 1]) << 16 | Int(bytes[i * 4 + 2]) << 8 | Int(bytes[i * 4 + 3])
        }
        let headerSize = field(0), version = field(1), format = field(2)
        let w = field(4), h = field(5), byteOrder = field(7), bitsPerPixel = field(11), bytesPerLine = field(12)
        let masks = (field(14), field(15), field(16)), colors = field(19)
        guard version == 7, format == 2 else { throw FormatError(description: "xwd: version \(version), format \(format): not a ZPixmap dump") }
        guard bitsPerPixel == 24 || bitsPerPixel == 32 else { throw FormatError(description: "xwd: \(bitsPerPixel) bits per pixel") }
        guard w > 0, h > 0, w <= 16384, h <= 16384 else { throw FormatError(description: "xwd: a \(w)x\(h) image") }
        let bpp = bitsPerPixel / 8
        let start = headerSize + colors * 12
        guard bytesPerLine >= w * bpp, start >= 100, start + bytesPerLine * (h - 1) + w * bpp <= bytes.count else {
            throw FormatError(description: "xwd: \(bytes.count) bytes for \(h) rows of \(bytesPerLine)")
        }
        func shift(_ mask: Int) -> Int { mask == 0 ? 0 : mask.trailingZeroBitCount }
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let row = start + y * bytesPerLine
            for x in 0..<w {
                var v = 0
                for b in 0..<bpp {
                    let byte = Int(bytes[row + x * bpp + b])
                    v |= byteOrder == 0 ? byte << (8 * b) : byte << (8 * (bpp - 1 - b))
                }
                let o = (y * w + x) * 3
                out[o] = UInt8((v & masks.0) >> shift(masks.0) & 0xFF)
                out[o + 1] = UInt8((v & masks.1) >> shift(masks.1) & 0xFF)
                out[o + 2] = UInt8((v & masks.2) >> shift(masks.2) & 0xFF)
            }
        }
        width = w
        height = h
        rgb = out
    }

    /// BT.601 studio-range luma of one pixel, the Y the window's YUV-to-RGB conversion came from.
    func luma(x: Int, y: Int) -> UInt8 {
        let o = (y * width + x) * 3
        let v = 16 + (65.481 * Double(rgb[o]) + 128.553 * Double(rgb[o + 1]) + 24.966 * Double(rgb[o + 2])) / 255
        return UInt8(max(0, min(255, v.rounded())))
    }
}
