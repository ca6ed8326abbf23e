// Signaling messages as the room server and clients read them (signaling/PROTOCOL.md): any
// text either decodes or throws a SignalingError; what decodes re-encodes to itself.
import FuzzSupport
import Signaling

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = FuzzInput.text(UnsafeBufferPointer(start: data, count: size))
    let message: SignalMessage
    do { message = try SignalMessage(jsonText: text) } catch {
        FuzzInput.require(error is SignalingError, "decoding threw \(type(of: error)), not a SignalingError")
        return 0
    }
    _ = (message.type, message.isRelayed, message.relayed(from: "fuzz").jsonText())
    guard let again = try? SignalMessage(jsonText: message.jsonText()) else {
        fatalError("a decoded message encodes to JSON that does not decode: \(message.jsonText())")
    }
    FuzzInput.require(again == message, "encode and decode changed \(message)")
    return 0
}
