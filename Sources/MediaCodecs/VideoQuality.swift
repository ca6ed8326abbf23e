import Foundation
import MediaPrimitives

/// Objective picture quality, for reports that compare decoded pictures with the ones sent.
public enum VideoQuality {
    /// Luma PSNR in dB of two I420 frames of the same size (99 when identical, nil when the
    /// sizes differ).
    public static func lumaPSNR(_ a: VideoFrame, _ b: VideoFrame) -> Double? {
        guard a.width == b.width, a.height == b.height else { return nil }
        let n = a.width * a.height
        guard n > 0, a.data.count >= n, b.data.count >= n else { return nil }
        var sum = 0
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                for i in 0..<n {
                    let d = Int(pa[i]) - Int(pb[i])
                    sum += d * d
                }
            }
        }
        let mse = Double(sum) / Double(n)
        return mse == 0 ? 99 : 10 * log10(255 * 255 / mse)
    }
}
