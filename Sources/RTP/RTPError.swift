/// Why an RTP or RTCP packet was rejected. Parsers throw these; they never trap.
public enum RTPError: Error, Equatable, Sendable {
    /// The buffer ends before a field the header says is there.
    case truncated
    /// Version field other than 2.
    case unsupportedVersion(UInt8)
    /// The padding count is zero or larger than the packet.
    case invalidPadding
    /// A header extension element runs past the extension block, or its ID is invalid.
    case invalidHeaderExtension
    /// An RTCP length field disagrees with the bytes present.
    case invalidLength
    /// A field holds a value the format does not allow.
    case invalidField(String)
    /// A value does not fit the format when building a packet.
    case valueTooLarge(String)
}
