import CVPX
import MediaPrimitives

/// A VP8 decoder over libvpx (the receiving side, and the tests' oracle). The one owner of
/// its `vpx_codec_ctx_t`. Corrupt input is an error, never a trap.
public final class VP8Decoder {
    private var context = vpx_codec_ctx_t()

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
            frames.append(Self.copy(img.pointee, timestamp: timestamp))
        }
        return frames
    }

    /// Copies the decoder's strided planes into a packed I420 VideoFrame.
    private static func copy(_ img: vpx_image_t, timestamp: UInt64) -> VideoFrame {
        let width = Int(img.d_w), height = Int(img.d_h)
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        var data = [UInt8](repeating: 0, count: VideoFrame.byteCount(width: width, height: height))
        data.withUnsafeMutableBufferPointer { out in
            guard let dst = out.baseAddress else { return }
            let planes = [(img.planes.0, Int(img.stride.0), width, height, 0),
                          (img.planes.1, Int(img.stride.1), cw, ch, width * height),
                          (img.planes.2, Int(img.stride.2), cw, ch, width * height + cw * ch)]
            for (source, stride, w, h, offset) in planes {
                guard let source else { continue }
                for row in 0..<h {
                    (dst + offset + row * w).update(from: source + row * stride, count: w)
                }
            }
        }
        return VideoFrame(width: width, height: height, data: data, timestamp: timestamp)
    }
}
