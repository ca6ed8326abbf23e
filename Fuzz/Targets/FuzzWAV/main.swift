// WAV files (the --audio-file fake microphone): chunks, fmt, data.
import FuzzSupport
import MediaCapture

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzInput.withFile(UnsafeBufferPointer(start: data, count: size)) { path in
        guard let reader = try? WAVReader(path: path) else { return }
        FuzzInput.require(reader.channelCount > 0 && reader.samples.count % reader.channelCount == 0,
                          "\(reader.samples.count) samples for \(reader.channelCount) channels")
    }
    return 0
}
