import CYUV

/// Turns the device's native frames into what the track's settings promise
/// (resizeMode "crop-and-scale", §"VideoResizeModeEnum"): a centred crop to the target aspect
/// ratio, then a downscale with libyuv. Never upscales: SelectSettings never picks a size
/// above the native one. Public for the sender's adaptation, which scales the same way.
public struct VideoShaper: Sendable {
    public let nativeWidth: Int, nativeHeight: Int
    public let width: Int, height: Int
    let cropX: Int, cropY: Int, cropWidth: Int, cropHeight: Int

    public init(nativeWidth W: Int, nativeHeight H: Int, width: Int, height: Int) {
        nativeWidth = W; nativeHeight = H
        self.width = min(width, W); self.height = min(height, H)
        // Crop the native picture to the target aspect ratio, centred, on even offsets so the
        // chroma planes stay aligned.
        var cw = W, ch = H
        if W * self.height > H * self.width {
            cw = min(W, max(1, Int((Double(H) * Double(self.width) / Double(self.height)).rounded())))
        } else if W * self.height < H * self.width {
            ch = min(H, max(1, Int((Double(W) * Double(self.height) / Double(self.width)).rounded())))
        }
        cropWidth = cw; cropHeight = ch
        cropX = ((W - cw) / 2) & ~1
        cropY = ((H - ch) / 2) & ~1
    }

    public var isIdentity: Bool { width == nativeWidth && height == nativeHeight }

    public func shape(_ frame: VideoFrame) -> VideoFrame {
        if isIdentity && frame.width == width && frame.height == height { return frame }
        var pool = VideoFramePool(count: 2)
        return shape(frame, pool: &pool)
    }

    /// Shapes into a buffer of `pool` (the track's and the adaptation's pools: no allocation
    /// per frame once warm). A frame already of the target size is passed on untouched.
    public func shape(_ frame: VideoFrame, pool: inout VideoFramePool) -> VideoFrame {
        if isIdentity && frame.width == width && frame.height == height { return frame }
        guard frame.width == nativeWidth, frame.height == nativeHeight else {
            // A frame of an unexpected size: scale the whole picture rather than fail.
            return VideoShaper(nativeWidth: frame.width, nativeHeight: frame.height, width: width, height: height)
                .shapeChecked(frame, pool: &pool)
        }
        return shapeChecked(frame, pool: &pool)
    }

    private func shapeChecked(_ frame: VideoFrame, pool: inout VideoFramePool) -> VideoFrame {
        guard frame.data.count >= VideoFrame.byteCount(width: frame.width, height: frame.height) else {
            return VideoFrame.black(width: width, height: height, timestamp: frame.timestamp)
        }
        let srcW = frame.width, srcH = frame.height
        let srcCW = (srcW + 1) / 2, srcCH = (srcH + 1) / 2
        let width = self.width, height = self.height
        let dstCW = (width + 1) / 2, dstCH = (height + 1) / 2
        return pool.makeFrame(width: width, height: height, timestamp: frame.timestamp) { dst in
            frame.data.withUnsafeBufferPointer { src in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                let sy = s + cropY * srcW + cropX
                let su = s + srcW * srcH + (cropY / 2) * srcCW + cropX / 2
                let sv = s + srcW * srcH + srcCW * srcCH + (cropY / 2) * srcCW + cropX / 2
                let dy = d, du = d + width * height, dv = d + width * height + dstCW * dstCH
                _ = I420Scale(sy, Int32(srcW), su, Int32(srcCW), sv, Int32(srcCW),
                              Int32(cropWidth), Int32(cropHeight),
                              dy, Int32(width), du, Int32(dstCW), dv, Int32(dstCW),
                              Int32(width), Int32(height), kFilterBox)
            }
        }
    }
}
