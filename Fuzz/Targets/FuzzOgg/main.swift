// Ogg Opus files (RFC 7845): pages through libogg, OpusHead and OpusTags, packets.
import FuzzSupport
import MediaCodecs

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    _ = try? OpusHead(parsing: Array(input))
    _ = try? OpusTags(parsing: Array(input))
    FuzzInput.withFile(input) { path in
        guard let reader = try? OggOpusReader(path: path) else { return }
        _ = (reader.head, reader.tags)
        for _ in 0..<256 { guard (try? reader.nextPacket()) ?? nil != nil else { break } }
    }
    return 0
}
