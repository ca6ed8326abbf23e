import MediaPrimitives
/// The synthetic camera's picture: a gradient with a moving bar, and a band of big black and
/// white cells in the top-left corner that carries the frame number and the capture time in
/// bits, so a receiver can measure frame rate and latency from the decoded picture even after
/// lossy VP8 coding.
///
/// The band is laid out in fractions of the picture (cells are 1/24 of the width and height), so it
/// survives scaling; it does not survive a crop that cuts the top-left corner.
/// Bits, most significant first, row by row, 16 cells per row, 4 rows:
/// 24-bit frame number, 32-bit capture time in ms (monotonic clock, modulo 2^32), 8-bit check.
public enum SyntheticPattern {
    static let columns = 16, rows = 4
    static let white: UInt8 = 235, black: UInt8 = 16

    /// The pixel rectangle of bit `i`: columns and rows are 1/24 of the picture each, with
    /// edges at exact fractions so a scaled picture keeps the same layout.
    static func cellRect(_ i: Int, width: Int, height: Int) -> (x0: Int, x1: Int, y0: Int, y1: Int) {
        let col = i % columns, row = i / columns
        return (col * width / 24, (col + 1) * width / 24, row * height / 24, (row + 1) * height / 24)
    }

    /// Cells need at least 2x2 pixels.
    static func fits(width: Int, height: Int) -> Bool { width >= 48 && height >= 48 }

    static func check(_ frame: UInt32, _ ms: UInt32) -> UInt8 {
        func fold(_ v: UInt32) -> UInt32 { v ^ (v >> 8) ^ (v >> 16) ^ (v >> 24) }
        return UInt8(truncatingIfNeeded: 0xA5 ^ fold(frame) ^ fold(ms))
    }

    static func bits(frameNumber: Int, timestampMs: UInt32) -> [Bool] {
        let f = UInt32(truncatingIfNeeded: frameNumber) & 0xFF_FFFF
        var out: [Bool] = []
        for i in (0..<24).reversed() { out.append(f >> UInt32(i) & 1 == 1) }
        for i in (0..<32).reversed() { out.append(timestampMs >> UInt32(i) & 1 == 1) }
        let c = check(f, timestampMs)
        for i in (0..<8).reversed() { out.append(c >> UInt8(i) & 1 == 1) }
        return out
    }

    /// The static part of a picture (gradient), computed once per mode.
    static func background(width: Int, height: Int) -> [UInt8] {
        var data = [UInt8](repeating: 128, count: VideoFrame.byteCount(width: width, height: height))
        data.withUnsafeMutableBufferPointer { p in
            for y in 0..<height {
                let row = y * width
                for x in 0..<width { p[row + x] = UInt8(truncatingIfNeeded: 40 + (x * 120) / max(width, 1) + (y * 40) / max(height, 1)) }
            }
            let cw = (width + 1) / 2, chh = (height + 1) / 2
            let u = width * height, v = u + cw * chh
            for y in 0..<chh {
                for x in 0..<cw {
                    p[u + y * cw + x] = UInt8(truncatingIfNeeded: 96 + (x * 64) / max(cw, 1))
                    p[v + y * cw + x] = UInt8(truncatingIfNeeded: 160 - (y * 64) / max(chh, 1))
                }
            }
        }
        return data
    }

    /// Picture `frameNumber` of a synthetic camera: `background` with the moving bar and the
    /// bit band drawn on it.
    public static func frame(width: Int, height: Int, frameNumber: Int, timestamp: UInt64, background: [UInt8]? = nil) -> VideoFrame {
        var data = background ?? SyntheticPattern.background(width: width, height: height)
        data.withUnsafeMutableBufferPointer { p in
            draw(into: p, width: width, height: height, frameNumber: frameNumber, timestamp: timestamp)
        }
        return VideoFrame(width: width, height: height, data: data, timestamp: timestamp)
    }

    /// The same picture drawn into a buffer of `pool` (the synthetic camera: the background
    /// copied in, no allocation per frame once the pool is warm).
    public static func frame(width: Int, height: Int, frameNumber: Int, timestamp: UInt64, background: [UInt8],
                             pool: inout VideoFramePool) -> VideoFrame {
        pool.makeFrame(width: width, height: height, timestamp: timestamp) { p in
            background.withUnsafeBufferPointer { b in
                guard let d = p.baseAddress, let s = b.baseAddress else { return }
                d.update(from: s, count: min(p.count, b.count))
            }
            draw(into: p, width: width, height: height, frameNumber: frameNumber, timestamp: timestamp)
        }
    }

    /// Draws the moving bar and the bit band over the background in `p`.
    static func draw(into p: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int, frameNumber: Int, timestamp: UInt64) {
        let ms = UInt32(truncatingIfNeeded: timestamp / 1_000_000)
        // A bar moving one eighth of the width per second at 30 fps, below the band.
        let barW = max(2, width / 16)
        let x0 = (frameNumber * max(1, width / 240)) % max(1, width - barW + 1)
        let top = min(height, height / 4)
        for y in top..<height {
            let row = y * width
            for x in x0..<min(width, x0 + barW) { p[row + x] = 220 }
        }
        guard fits(width: width, height: height) else { return }
        // The 64 bits of `bits(frameNumber:timestampMs:)`, most significant first, as one word.
        let f = UInt32(truncatingIfNeeded: frameNumber) & 0xFF_FFFF
        let word = UInt64(f) << 40 | UInt64(ms) << 8 | UInt64(check(f, ms))
        for i in 0..<(columns * rows) {
            let bit = word >> UInt64(63 - i) & 1 == 1
            let r = cellRect(i, width: width, height: height)
            let value = bit ? white : black
            for y in r.y0..<min(height, r.y1) {
                let row = y * width
                for x in r.x0..<min(width, r.x1) { p[row + x] = value }
            }
        }
        // Neutral chroma under the band so colour coding cannot leak into luma decisions.
        let cw = (width + 1) / 2, chh = (height + 1) / 2
        let u = width * height, v = u + cw * chh
        for y in 0..<min(chh, (rows * height / 24 + 1) / 2) {
            for x in 0..<min(cw, (columns * width / 24 + 1) / 2) {
                p[u + y * cw + x] = 128
                p[v + y * cw + x] = 128
            }
        }
    }

    /// Reads the bits back: each cell's inner half is averaged and compared with mid-grey.
    /// nil when the picture is too small or the check byte does not match (not a synthetic
    /// picture, or too damaged).
    static func readBits(from frame: VideoFrame) -> [Bool]? {
        guard frame.width > 0, frame.height > 0,
              frame.data.count >= frame.width * frame.height,
              fits(width: frame.width, height: frame.height) else { return nil }
        var bits: [Bool] = []
        bits.reserveCapacity(columns * rows)
        for i in 0..<(columns * rows) {
            let r = cellRect(i, width: frame.width, height: frame.height)
            let qw = (r.x1 - r.x0) / 4, qh = (r.y1 - r.y0) / 4
            let x0 = r.x0 + qw, x1 = max(x0 + 1, r.x1 - qw)
            let y0 = r.y0 + qh, y1 = max(y0 + 1, r.y1 - qh)
            var sum = 0, n = 0
            for y in y0..<min(y1, frame.height) {
                for x in x0..<min(x1, frame.width) { sum += Int(frame.data[y * frame.width + x]); n += 1 }
            }
            guard n > 0 else { return nil }
            bits.append(sum / n >= 126)
        }
        return bits
    }

    static func decode(_ frame: VideoFrame) -> (frame: Int, ms: UInt32)? {
        guard let bits = readBits(from: frame) else { return nil }
        func value(_ r: Range<Int>) -> UInt32 { bits[r].reduce(0) { $0 << 1 | ($1 ? 1 : 0) } }
        let f = value(0..<24), ms = value(24..<56), c = UInt8(value(56..<64))
        guard c == check(f, ms) else { return nil }
        return (Int(f), ms)
    }

    /// The frame number burned into a synthetic picture (modulo 2^24), or nil.
    public static func readFrameNumber(from frame: VideoFrame) -> Int? { decode(frame)?.frame }

    /// The capture time burned into a synthetic picture, in ms of the monotonic clock modulo
    /// 2^32, or nil. Latency = `MonotonicClock.now() / 1_000_000` (mod 2^32) minus this.
    public static func readTimestampMilliseconds(from frame: VideoFrame) -> UInt32? { decode(frame)?.ms }
}
