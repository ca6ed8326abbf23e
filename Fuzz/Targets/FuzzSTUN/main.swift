// STUN (RFC 8489) as it arrives on the ICE socket: the RFC 7983 test, the parser, the
// integrity check; what parses encodes back to a message that parses to the same attributes.
import FuzzSupport
import ICE

let key = STUNCredentials.shortTermKey(password: "VOkJxbRl1RmTxUk/WvJxBt")  // RFC 5769 §2.1

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = DatagramKind(bytes)
    _ = STUNMessage.looksLikeSTUN(bytes)
    guard let message = try? STUNMessage(parsing: bytes) else { return 0 }
    _ = message.verifyMessageIntegrity(key: key)
    _ = (message.username, message.xorMappedAddress, message.priority, message.useCandidate, message.iceControlling)
    let encoded = message.encoded(integrityKey: key, fingerprint: true)
    guard let again = try? STUNMessage(parsing: encoded) else {
        fatalError("a parsed STUN message encodes to bytes that do not parse")
    }
    FuzzInput.require(again.verifyMessageIntegrity(key: key), "MESSAGE-INTEGRITY of our own encoding fails")
    FuzzInput.require(again.attributes == message.attributes, "attributes changed through encode and parse")
    return 0
}
