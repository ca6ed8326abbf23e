// The devices file (--devices-file: fake cameras and microphones described in JSON).
import FuzzSupport
import MediaCapture

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    _ = try? DeviceDescriptionFile(jsonText: FuzzInput.text(input))
    FuzzInput.withFile(input) { path in _ = try? DeviceDescriptionFile(path: path) }
    return 0
}
