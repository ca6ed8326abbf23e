import CVPX
import MediaPrimitives

/// A VP8 decoder over libvpx (the receiving side, and the tests' oracle). The one owner of
/// its `vpx_codec_ctx_t`. Corrupt input is an error, never a trap.
public final class VP8Decoder {
    private var context = vpx_codec_ctx_t()
    /// The pictures handed out: reused once the sinks let go, so a warm decoder allocates no
    /// picture per frame. A fresh 460 KB array per 480p frame, copied into while its pages
    /// faulted in, was 4.7 % of `tincan recv`'s CPU (perf).
    private var pool = VideoFramePool(count: 4)

    /// Pictures allocated after the pool was warm (a sink held on to one for a whole round
    /// of the pool, or the size changed).
    public var pictureAllocations: Int { pool.allocations }

    /// One thread unless there are 4 cores: libvpx's VP8 decoder threads wait for each
    /// other's macroblock rows by spinning (a `pause` loop), and on 2 cores, with a frame every
    /// 33 ms, that spin was 39 % of `tincan recv`'s CPU at 720p (perf). vpxdec on 300 frames of
    /// 720p from a call: 0.55 CPU s on 1 thread, 0.95 on 2, the same wall time.
    public static func defaultThreads(cores: Int = VP8Encoder.onlineCores) -> Int { cores >= 4 ? 2 : 1 }

    public init(threads: Int = 1) throws(CodecError) {
        var cfg = vpx_codec_dec_cfg_t(threads: UInt32(max(1, threads)), w: 0, h: 0)
        let status = tincan_vpx_codec_dec_init(&context, vpx_codec_vp8_dx(), &cfg, 0)
        guard status == VPX_CODEC_OK else {
            throw CodecError(codec: "VP8", "vpx_codec_dec_init: \(String(cString: vpx_codec_err_to_string(status)))")
        }
    }

    deinit { vpx_codec_destroy(&context) }

    /// Decodes one compressed frame; the pictures it yields (normally one) carry `timestamp`.
    public func decode(_ data: [UInt8], timestamp: UInt64 = 0) throws(CodecError) -> [VideoFrame] {
        guard !data.isEmpty else { throw CodecError(codec: "VP8", "empty frame") }
        let status = data.withUnsafeBufferPointer {
            vpx_codec_decode(&context, $0.baseAddress, UInt32($0.count), nil, 0)
        }
        guard status == VPX_CODEC_OK else {
            var text = String(cString: vpx_codec_err_to_string(status))
            if let detail = vpx_codec_error_detail(&context) { text += " (\(String(cString: detail)))" }
            throw CodecError(codec: "VP8", "vpx_codec_decode: \(text)")
        }
        var frames: [VideoFrame] = []
        var iterator: vpx_codec_iter_t? = nil
        while let img = vpx_codec_get_frame(&context, &iterator) {
            frames.append(copy(img.pointee, timestamp: timestamp))
        }
        return frames
    }

    /// Copies the decoder's strided planes into a packed I420 picture of the pool, plane by
    /// plane without a temporary list.
    private func copy(_ img: vpx_image_t, timestamp: UInt64) -> VideoFrame {
        let width = Int(img.d_w), height = Int(img.d_h)
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        return pool.makeFrame(width: width, height: height, timestamp: timestamp) { out in
            guard let dst = out.baseAddress else { return }
            func plane(_ source: UnsafeMutablePointer<UInt8>?, stride: Int32, width w: Int, height h: Int, at offset: Int) {
                guard let source else { (dst + offset).update(repeating: 0, count: w * h); return }
                for row in 0..<h {
                    (dst + offset + row * w).update(from: source + row * Int(stride), count: w)
                }
            }
            plane(img.planes.0, stride: img.stride.0, width: width, height: height, at: 0)
            plane(img.planes.1, stride: img.stride.1, width: cw, height: ch, at: width * height)
            plane(img.planes.2, stride: img.stride.2, width: cw, height: ch, at: width * height + cw * ch)
        }
    }
}
