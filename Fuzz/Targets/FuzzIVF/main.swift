// IVF files (VP8 frames for --video-file and test oracles): header and frame headers.
import FuzzSupport
import MediaCodecs

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzInput.withFile(UnsafeBufferPointer(start: data, count: size)) { path in
        guard let reader = try? IVFReader(path: path) else { return }
        for _ in 0..<64 { guard (try? reader.nextFrame()) ?? nil != nil else { break } }
    }
    return 0
}
