// The copy-and-paste blob (TINCAN1 lines) as a person pastes it: whole, and line by line into
// the assembler; what decodes encodes again to lines that decode to the same SDP.
import FuzzSupport
import Signaling

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = FuzzInput.text(UnsafeBufferPointer(start: data, count: size))
    var assembler = ChunkAssembler()
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        guard (try? assembler.add(line: String(line))) != nil else { break }
    }
    _ = try? assembler.finish()
    guard let (kind, sdp) = try? CopyPasteBlob.decode(text) else { return 0 }
    let lines = CopyPasteBlob.encode(sdp, kind: kind, maxChunkLength: 100)
    guard let again = try? CopyPasteBlob.decode(lines.joined(separator: "\n")) else {
        fatalError("a decoded blob encodes to lines that do not decode")
    }
    FuzzInput.require(again.kind == kind && again.sdp == sdp, "encode and decode changed the blob")
    return 0
}
