// Y4M files (the --video-file fake camera): header, frames, rewind; at most 8 frames an input.
import FuzzSupport
import MediaCapture

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzInput.withFile(UnsafeBufferPointer(start: data, count: size)) { path in
        guard let reader = try? Y4MReader(path: path) else { return }
        for _ in 0..<8 { guard (try? reader.nextFrame()) ?? nil != nil else { break } }
        if (try? reader.rewind()) != nil { _ = try? reader.nextFrame() }
    }
    return 0
}
