import MediaPrimitives
#if canImport(Glibc)
import Glibc
#endif

/// A deterministic synthetic video: a textured gradient background with three checkered
/// boxes moving at different speeds and bouncing off the edges. Noise-free, so encoders and
/// the benchmark's reference see byte-identical frames, and moving, so rate control works.
public struct MovingPattern: Sendable {
    public let width: Int
    public let height: Int
    private let background: [UInt8]

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        var data = [UInt8](repeating: 128, count: VideoFrame.byteCount(width: width, height: height))
        for y in 0..<height {
            for x in 0..<width {
                // Gradient plus a fine static texture (period 7 and 5 px) for detail.
                let texture = ((x / 7 + y / 5) & 1) * 12
                data[y * width + x] = UInt8(truncatingIfNeeded: 30 + (x * 140) / max(1, width) + (y * 40) / max(1, height) + texture)
            }
        }
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        for y in 0..<ch {
            for x in 0..<cw {
                data[width * height + y * cw + x] = UInt8(truncatingIfNeeded: 90 + (x * 80) / max(1, cw))
                data[width * height + cw * ch + y * cw + x] = UInt8(truncatingIfNeeded: 160 - (y * 70) / max(1, ch))
            }
        }
        background = data
    }

    /// Frame number `index` stamped with `timestamp` (capture clock nanoseconds).
    public func frame(_ index: Int, timestamp: UInt64) -> VideoFrame {
        var data = background
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        let side = max(4, min(width, height) / 5)
        let boxes: [(vx: Int, vy: Int, luma: UInt8, u: UInt8, v: UInt8)] = [
            (7, 3, 230, 60, 200), (-4, 6, 40, 200, 90), (3, -5, 180, 150, 40),
        ]
        for (n, box) in boxes.enumerated() {
            let x0 = Self.bounce(n * width / 3 + index * box.vx, range: max(1, width - side))
            let y0 = Self.bounce(n * height / 4 + index * box.vy, range: max(1, height - side))
            for y in y0..<min(height, y0 + side) {
                let row = y * width
                for x in x0..<min(width, x0 + side) {
                    let check = (((x - x0) / 8 + (y - y0) / 8) & 1) == 0
                    data[row + x] = check ? box.luma : box.luma / 2
                }
            }
            for y in (y0 / 2)..<min(ch, (y0 + side) / 2) {
                for x in (x0 / 2)..<min(cw, (x0 + side) / 2) {
                    data[width * height + y * cw + x] = box.u
                    data[width * height + cw * ch + y * cw + x] = box.v
                }
            }
        }
        return VideoFrame(width: width, height: height, data: data, timestamp: timestamp)
    }

    /// Position bouncing between 0 and `range`.
    static func bounce(_ p: Int, range: Int) -> Int {
        let period = 2 * range
        let m = ((p % period) + period) % period
        return m <= range ? m : period - m
    }
}

/// A sine tone as 48 kHz AudioFrames (the fake microphone of the tests and benchmarks).
public struct ToneGenerator: Sendable {
    public var frequency: Double
    public var amplitude: Double
    public var sampleRate: Int
    public var channelCount: Int

    public init(frequency: Double = 440, amplitude: Double = 0.5, sampleRate: Int = 48_000, channelCount: Int = 1) {
        self.frequency = frequency
        self.amplitude = amplitude
        self.sampleRate = sampleRate
        self.channelCount = channelCount
    }

    /// `count` samples per channel starting at sample `offset`, stamped with `timestamp`.
    public func frame(offset: Int, count: Int, timestamp: UInt64) -> AudioFrame {
        var samples = [Int16](repeating: 0, count: count * channelCount)
        for i in 0..<count {
            let t = Double(offset + i) / Double(sampleRate)
            let value = Int16((amplitude * 32767 * sin(2 * Double.pi * frequency * t)).rounded())
            for c in 0..<channelCount { samples[i * channelCount + c] = value }
        }
        return AudioFrame(sampleRate: sampleRate, channelCount: channelCount, samples: samples, timestamp: timestamp)
    }
}
