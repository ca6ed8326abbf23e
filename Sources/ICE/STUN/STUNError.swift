/// Why a datagram is not an acceptable STUN message (RFC 8489 §6.3 and §14).
public enum STUNError: Error, Equatable, Sendable {
    /// Shorter than the 20-byte header, or the header's length disagrees with the datagram.
    case truncated
    /// The two most significant bits are not zero or the magic cookie is wrong (RFC 8489 §6).
    case notSTUN
    /// The message length is not a multiple of four.
    case misalignedLength
    /// An attribute runs past the end of the message.
    case attributeOverflow(type: UInt16)
    /// A known attribute has a value of the wrong size or content.
    case malformedAttribute(type: UInt16)
    /// An attribute follows FINGERPRINT, or something other than FINGERPRINT follows
    /// MESSAGE-INTEGRITY (RFC 8489 §14.5, §14.7).
    case attributeAfterIntegrity(type: UInt16)
    /// FINGERPRINT does not match the message's CRC-32 (RFC 8489 §14.7).
    case fingerprintMismatch
    /// A message class or method that cannot be encoded.
    case invalidType
}
